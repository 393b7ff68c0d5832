// PROTOCOL.md §4.2 upload, planned against a stored state (no I/O).
#include <gtest/gtest.h>

#include "support/builders.hpp"
#include "support/decoded_message.hpp"
#include "support/plan_harness.hpp"
#include "sync/operations.hpp"

namespace primesync::sync {
namespace {

using testing::decode_message;
using testing::keys_of;
using testing::make_item;
using testing::UserStateBuilder;
using Keys = std::vector<std::string>;

UploadRequest upload_of(std::vector<Item> items, std::string pwd_hash = "pwd",
                        std::int64_t nonce = 0) {
  return UploadRequest{std::move(items), std::move(pwd_hash), nonce};
}

class PlanUploadTest : public ::testing::Test {
 protected:
  // A user with a password, nonce 5, two items and devices A (the caller), B and C.
  UserState stored_ = UserStateBuilder("u1")
                          .pwd_hash("pwd")
                          .nonce(5)
                          .items({make_item("a", 10), make_item("b", 10)})
                          .devices({"device-A", "device-B", "device-C"})
                          .build();
  testing::PlanHarness harness_;
  WriteSet writes_;
};

struct GateCase {
  std::string name;
  std::string stored_pwd_hash;
  std::string request_pwd_hash;
  std::int64_t request_nonce;
  int code;
};

class PlanUploadGateTest : public PlanUploadTest, public ::testing::WithParamInterface<GateCase> {};

TEST_P(PlanUploadGateTest, FailsAndWritesNothing) {
  const GateCase& test_case = GetParam();
  stored_.user.pwd_hash = test_case.stored_pwd_hash;
  const auto outcome = plan_upload(
      stored_, upload_of({make_item("z", 99)}, test_case.request_pwd_hash, test_case.request_nonce),
      harness_.context(), writes_);
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(error_info(outcome.failure().error).code, test_case.code);
  EXPECT_TRUE(writes_.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Gates, PlanUploadGateTest,
    ::testing::Values(GateCase{"StrictGateEmptyStoredPwdHash", "", "", 0, 90006},
                      GateCase{"StrictGateEmptyStoredAnyRequest", "", "pwd", 0, 90006},
                      GateCase{"StrictGateMismatch", "pwd", "other", 0, 90006},
                      GateCase{"NonceGateAhead", "pwd", "pwd", 6, 90009},
                      GateCase{"PasswordCheckedBeforeNonce", "pwd", "other", 6, 90006}),
    [](const auto& info) { return info.param.name; });

TEST_F(PlanUploadTest, RequestNonceAtOrBelowTheUsersPasses) {
  EXPECT_TRUE(
      plan_upload(stored_, upload_of({make_item("z", 1)}, "pwd", 5), harness_.context(), writes_)
          .ok());
}

TEST_F(PlanUploadTest, NothingWinningKeepsTheNonceAndWritesNothing) {
  const auto outcome =
      plan_upload(stored_, upload_of({make_item("a", 9), make_item("b", 1), make_item("b", 2)}),
                  harness_.context(), writes_);
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->created, 0U);
  EXPECT_EQ(outcome->updated, 0U);
  EXPECT_EQ(outcome->skipped, 3U);  // two losers and one discarded duplicate
  EXPECT_EQ(outcome->nonce, 5);
  EXPECT_EQ(outcome->pwd_hash, "pwd");
  EXPECT_TRUE(writes_.empty()) << "no nonce bump, no outbox entry, no item";
}

TEST_F(PlanUploadTest, EmptyUploadChangesNothing) {
  const auto outcome = plan_upload(stored_, upload_of({}), harness_.context(), writes_);
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->skipped, 0U);
  EXPECT_EQ(outcome->nonce, 5);
  EXPECT_TRUE(writes_.empty());
}

TEST_F(PlanUploadTest, WinnersBumpTheNonceOnceAndArchiveWhatTheyReplace) {
  const auto outcome = plan_upload(
      stored_,
      upload_of({make_item("a", 11), make_item("b", 9), make_item("c", 1), make_item("c", 0)}),
      harness_.context(), writes_);
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->created, 1U);  // c
  EXPECT_EQ(outcome->updated, 1U);  // a
  EXPECT_EQ(outcome->skipped, 2U);  // b lost, one c discarded
  EXPECT_EQ(outcome->nonce, 6);
  EXPECT_EQ(outcome->pwd_hash, "pwd");

  ASSERT_TRUE(writes_.user.has_value());
  EXPECT_EQ(writes_.user->nonce, 6);
  EXPECT_EQ(writes_.user->pwd_hash, "pwd");
  EXPECT_EQ(keys_of(writes_.put_items), (Keys{"a", "c"}));
  EXPECT_EQ(writes_.put_items[1]->data_timestamp, 1) << "the duplicate with the larger time";
  ASSERT_EQ(writes_.history.size(), 1U);
  EXPECT_EQ(*writes_.history[0].item, make_item("a", 10));
  EXPECT_EQ(writes_.history[0].nonce, 6);
  EXPECT_EQ(writes_.history[0].archived_at, harness_.clock.now());
  EXPECT_TRUE(writes_.delete_items.empty());
}

TEST_F(PlanUploadTest, NotifiesOtherDevicesWithTheWinnersOnly) {
  const auto outcome = plan_upload(stored_, upload_of({make_item("a", 11), make_item("b", 9)}),
                                   harness_.context(), writes_);
  ASSERT_TRUE(outcome.ok());
  ASSERT_EQ(writes_.outbox.size(), 1U);
  EXPECT_EQ(writes_.outbox[0].user_id, "u1");
  EXPECT_EQ(writes_.outbox[0].created_at, harness_.clock.now());
  const auto message = decode_message(writes_.outbox[0].message);
  EXPECT_EQ(message.type, "CONFIG_CHANGE");
  EXPECT_EQ(message.user_id, "u1");
  EXPECT_EQ(message.devices, (Keys{"device-B", "device-C"}));
  EXPECT_EQ(message.nonce, 6);
  EXPECT_EQ(message.pwd_hash, "pwd");
  EXPECT_EQ(message.server_data_keys, (Keys{"a"}));
  EXPECT_FALSE(message.msg_id.empty());
}

struct RecipientCase {
  std::string name;
  std::vector<std::string> devices;
  std::string caller_instance;
  bool is_prime;
  Keys recipients;  // empty: no outbox entry
};

class PlanUploadRecipientsTest : public PlanUploadTest,
                                 public ::testing::WithParamInterface<RecipientCase> {};

TEST_P(PlanUploadRecipientsTest, OutboxOnlyForOtherDevicesOfAPrimeUser) {
  const RecipientCase& test_case = GetParam();
  stored_.devices.clear();
  for (const std::string& id : test_case.devices) stored_.devices.push_back(Device{id, 0, 0});
  stored_.user.is_prime = test_case.is_prime;
  harness_.caller.instance_id = test_case.caller_instance;

  ASSERT_TRUE(
      plan_upload(stored_, upload_of({make_item("z", 1)}), harness_.context(), writes_).ok());
  EXPECT_EQ(writes_.user->nonce, 6) << "the write commits whoever is notified";
  if (test_case.recipients.empty()) {
    EXPECT_TRUE(writes_.outbox.empty());
  } else {
    ASSERT_EQ(writes_.outbox.size(), 1U);
    EXPECT_EQ(decode_message(writes_.outbox[0].message).devices, test_case.recipients);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, PlanUploadRecipientsTest,
    ::testing::Values(
        RecipientCase{"NoDevices", {}, "device-A", true, {}},
        RecipientCase{"OnlyTheCaller", {"device-A"}, "device-A", true, {}},
        RecipientCase{
            "OthersOfPrimeUser", {"device-A", "device-B"}, "device-A", true, {"device-B"}},
        RecipientCase{"CallerWithoutInstanceId",
                      {"device-A", "device-B"},
                      "",
                      true,
                      {"device-A", "device-B"}},
        RecipientCase{"UnregisteredCaller", {"device-B"}, "device-X", true, {"device-B"}},
        RecipientCase{"NotPrime", {"device-A", "device-B"}, "device-A", false, {}}),
    [](const auto& info) { return info.param.name; });

TEST_F(PlanUploadTest, AppliedWritesLeaveTheNewestVersions) {
  ASSERT_TRUE(plan_upload(stored_, upload_of({make_item("a", 11), make_item("c", 1)}),
                          harness_.context(), writes_)
                  .ok());
  UserState after = stored_;
  apply_write_set(after, writes_);
  EXPECT_EQ(after.user.nonce, 6);
  EXPECT_EQ(keys_of(after.items.items()), (Keys{"a", "b", "c"}));
  EXPECT_EQ(after.items.find("a")->data_timestamp, 11);
  EXPECT_EQ(after.items.find("b")->data_timestamp, 10);
}

}  // namespace
}  // namespace primesync::sync
