// PROTOCOL.md §4.4 flush, planned against a stored state (no I/O).
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
using testing::make_lock;
using testing::make_tombstone;
using testing::UserStateBuilder;
using Keys = std::vector<std::string>;

class PlanFlushTest : public ::testing::Test {
 protected:
  // A user at nonce 5 with a lock, two items (one a tombstone) and devices A (caller) and B.
  UserState stored_ = UserStateBuilder("u1")
                          .pwd_hash("old-pwd")
                          .nonce(5)
                          .lock(make_lock(1, "old-lock"), "old-pwd")
                          .items({make_item("a", 10), make_tombstone("b", 10)})
                          .devices({"device-A", "device-B"})
                          .build();
  testing::PlanHarness harness_;
  WriteSet writes_;

  Outcome<WriteResponse> flush(std::vector<Item> items, std::string pwd_hash,
                               std::optional<Item> lock, std::int64_t nonce = 0) {
    return plan_flush(stored_,
                      FlushRequest{std::move(items), std::move(pwd_hash), nonce, std::move(lock)},
                      harness_.context(), writes_);
  }

  [[nodiscard]] UserState after() const {
    UserState state = stored_;
    apply_write_set(state, writes_);
    return state;
  }
};

struct RejectCase {
  std::string name;
  std::string pwd_hash;
  bool with_lock;
  std::int64_t nonce;
  int code;
};

class PlanFlushRejectTest : public PlanFlushTest,
                            public ::testing::WithParamInterface<RejectCase> {};

TEST_P(PlanFlushRejectTest, FailsAndWritesNothing) {
  const RejectCase& test_case = GetParam();
  std::optional<Item> lock;
  if (test_case.with_lock) lock = make_lock(2);
  const auto outcome = flush({make_item("n", 1)}, test_case.pwd_hash, lock, test_case.nonce);
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(error_info(outcome.failure().error).code, test_case.code);
  EXPECT_TRUE(writes_.empty());
}

INSTANTIATE_TEST_SUITE_P(Table, PlanFlushRejectTest,
                         ::testing::Values(RejectCase{"ItemsWithoutPwdHash", "", true, 0, 90006},
                                           RejectCase{"ItemsWithoutLock", "new-pwd", false, 0,
                                                      90006},
                                           RejectCase{"ItemsWithNeither", "", false, 0, 90006},
                                           RejectCase{"NonceAhead", "new-pwd", true, 6, 90009}),
                         [](const auto& info) { return info.param.name; });

TEST_F(PlanFlushTest, NonceAheadFailsEvenForAnEmptyFlush) {
  const auto outcome = flush({}, "", std::nullopt, 6);
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(error_info(outcome.failure().error).code, 90009);
  EXPECT_TRUE(writes_.empty());
}

TEST_F(PlanFlushTest, NoPasswordGate) {
  // Flush is how a password is reset: the stored pwdHash is not asked for.
  EXPECT_TRUE(flush({make_item("n", 1)}, "new-pwd", make_lock(2)).ok());
}

TEST_F(PlanFlushTest, ReplacesEveryItemArchivingTheOldOnes) {
  const auto outcome = flush({make_item("c", 1), make_item("a", 3), make_item("c", 2)}, "new-pwd",
                             make_lock(2, "new-lock"));
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->created, 2U) << "duplicates resolved before counting";
  EXPECT_EQ(outcome->updated, 0U);
  EXPECT_FALSE(outcome->skipped.has_value());
  EXPECT_EQ(outcome->nonce, 6);
  EXPECT_EQ(outcome->pwd_hash, "new-pwd");

  // Every stored item (tombstones too) is archived with the new nonce and deleted.
  Keys archived;
  for (const HistoryRecord& record : writes_.history) {
    archived.push_back(record.item->key);
    EXPECT_EQ(record.nonce, 6);
    EXPECT_EQ(record.archived_at, harness_.clock.now());
  }
  EXPECT_EQ(archived, (Keys{"a", "b"}));
  EXPECT_EQ(writes_.delete_items, (Keys{"a", "b"}));

  const UserState state = after();
  EXPECT_EQ(keys_of(state.items.items()), (Keys{"a", "c"}));
  EXPECT_EQ(state.items.find("a")->data_timestamp, 3) << "older than the stored one, still written";
  EXPECT_EQ(state.items.find("c")->data_timestamp, 2);
  EXPECT_EQ(state.user.nonce, 6);
  EXPECT_EQ(state.user.pwd_hash, "new-pwd");
  ASSERT_TRUE(state.lock.has_value());
  EXPECT_EQ(state.lock->item, make_lock(2, "new-lock"));
  EXPECT_EQ(state.lock->pwd_hash, "new-pwd");
}

TEST_F(PlanFlushTest, EmptyFlushPersistsTheNextNonce) {
  const auto outcome = flush({}, "old-pwd", std::nullopt);
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->nonce, 6);
  ASSERT_TRUE(writes_.user.has_value());
  EXPECT_EQ(writes_.user->nonce, 6);
  EXPECT_EQ(outcome->created, 0U);
}

TEST_F(PlanFlushTest, ResetDeletesTheLockAndPassword) {
  const auto outcome = flush({}, "", std::nullopt);
  ASSERT_TRUE(outcome.ok());
  EXPECT_TRUE(writes_.delete_lock);
  const UserState state = after();
  EXPECT_FALSE(state.lock.has_value());
  EXPECT_EQ(state.user.pwd_hash, "");
  EXPECT_EQ(state.user.nonce, 6);
  EXPECT_TRUE(state.items.empty());
  EXPECT_EQ(outcome->pwd_hash, "");
}

TEST_F(PlanFlushTest, EmptyFlushWithPwdHashKeepsTheLock) {
  ASSERT_TRUE(flush({}, "new-pwd", std::nullopt).ok());
  EXPECT_FALSE(writes_.delete_lock);
  const UserState state = after();
  ASSERT_TRUE(state.lock.has_value());
  EXPECT_EQ(state.lock->item.data, "old-lock");
  EXPECT_EQ(state.user.pwd_hash, "new-pwd");
}

TEST_F(PlanFlushTest, EmptyFlushWithLockUpsertsIt) {
  ASSERT_TRUE(flush({}, "", make_lock(3, "fresh")).ok());
  EXPECT_FALSE(writes_.delete_lock);
  ASSERT_TRUE(after().lock.has_value());
  EXPECT_EQ(after().lock->item.data, "fresh");
}

TEST_F(PlanFlushTest, NotifiesOtherDevicesWithConfigFlush) {
  ASSERT_TRUE(flush({make_item("c", 1)}, "new-pwd", make_lock(2)).ok());
  ASSERT_EQ(writes_.outbox.size(), 1U);
  const auto message = decode_message(writes_.outbox[0].message);
  EXPECT_EQ(message.type, "CONFIG_FLUSH");
  EXPECT_EQ(message.devices, Keys{"device-B"});
  EXPECT_EQ(message.nonce, 6);
  EXPECT_EQ(message.pwd_hash, "new-pwd");
  EXPECT_EQ(message.lock_key, "lock");
  EXPECT_EQ(message.server_data_keys, Keys{}) << "serverData is present and empty";
}

TEST_F(PlanFlushTest, NoNotificationWithoutOtherDevices) {
  stored_.devices = {Device{"device-A", 0, 0}};
  ASSERT_TRUE(flush({}, "", std::nullopt).ok());
  EXPECT_TRUE(writes_.outbox.empty());
}

}  // namespace
}  // namespace primesync::sync
