// PROTOCOL.md §4.6 change lock and §4.7 user and device housekeeping.
#include <gtest/gtest.h>

#include "support/builders.hpp"
#include "support/decoded_message.hpp"
#include "support/plan_harness.hpp"
#include "sync/operations.hpp"

namespace primesync::sync {
namespace {

using namespace std::chrono_literals;
using testing::decode_message;
using testing::make_lock;
using testing::UserStateBuilder;
using Ids = std::vector<std::string>;

Ids ids_of(const std::vector<Device>& devices) {
  Ids ids;
  for (const Device& device : devices) ids.push_back(device.instance_id);
  return ids;
}

TEST(PlanChangeLockTest, WritesLockAndPasswordAndAnswersUpdatedOne) {
  testing::PlanHarness harness;
  const UserState stored =
      UserStateBuilder("u1").pwd_hash("old").nonce(4).devices({"device-A", "device-B"}).build();
  WriteSet writes;
  const auto outcome = plan_change_lock(stored, ChangeLockRequest{make_lock(9, "new-lock"), "new"},
                                        harness.context(), writes);
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->updated, 1U);

  ASSERT_TRUE(writes.put_lock.has_value());
  EXPECT_EQ(writes.put_lock->item, make_lock(9, "new-lock"));
  EXPECT_EQ(writes.put_lock->pwd_hash, "new");
  ASSERT_TRUE(writes.user.has_value());
  EXPECT_EQ(writes.user->pwd_hash, "new");
  EXPECT_EQ(writes.user->nonce, 4) << "a lock change does not bump the nonce";

  ASSERT_EQ(writes.outbox.size(), 1U);
  const auto message = decode_message(writes.outbox[0].message);
  EXPECT_EQ(message.type, "LOCK_CHANGE");
  EXPECT_EQ(message.devices, Ids{"device-B"});
  EXPECT_EQ(message.pwd_hash, "new");
  EXPECT_EQ(message.lock_key, "lock");
  EXPECT_FALSE(message.nonce.has_value());
  EXPECT_FALSE(message.server_data_keys.has_value());
}

TEST(PlanChangeLockTest, AnswersUpdatedOneWhenNoLockExisted) {
  testing::PlanHarness harness;
  WriteSet writes;
  const auto outcome =
      plan_change_lock(UserStateBuilder("u1").build(), ChangeLockRequest{make_lock(1), "p"},
                       harness.context(), writes);
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->updated, 1U);
  EXPECT_TRUE(writes.outbox.empty()) << "no other device";
}

TEST(AnswerGetLockTest, ReturnsTheLockWithItsPwdHash) {
  const UserState stored =
      UserStateBuilder("u1").pwd_hash("now").lock(make_lock(1), "then").build();
  const LockResponse response = answer_get_lock(stored);
  ASSERT_TRUE(response.lock.has_value());
  EXPECT_EQ(response.lock->pwd_hash, "then");
  EXPECT_EQ(response.user_id, "u1");
  EXPECT_FALSE(answer_get_lock(UserStateBuilder("u2").build()).lock.has_value());
}

class RecordCallerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    harness_.config.limits.max_devices = 2;
    harness_.config.limits.device_seen_resolution = 60s;
  }
  testing::PlanHarness harness_;
  WriteSet writes_;
};

TEST_F(RecordCallerTest, FirstSightCreatesTheUserWithAFreshSalt) {
  record_caller(UserState{}, harness_.context(), writes_);
  ASSERT_TRUE(writes_.user.has_value());
  EXPECT_EQ(writes_.user->user_id, "u1");
  EXPECT_EQ(writes_.user->salt.size(), 32U) << "16 random bytes as hex";
  EXPECT_EQ(writes_.user->nonce, 0);
  EXPECT_EQ(writes_.user->pwd_hash, "");
  EXPECT_TRUE(writes_.user->is_prime);
  EXPECT_EQ(writes_.user->created_at, harness_.clock.now());
}

TEST_F(RecordCallerTest, SaltsDifferBetweenUsers) {
  WriteSet other;
  record_caller(UserState{}, harness_.context(), writes_);
  record_caller(UserState{}, harness_.context(), other);
  EXPECT_NE(writes_.user->salt, other.user->salt);
}

TEST_F(RecordCallerTest, KnownUserWithUnchangedPrimeWritesNoRecord) {
  harness_.caller.instance_id.clear();
  record_caller(UserStateBuilder("u1").prime(true).build(), harness_.context(), writes_);
  EXPECT_TRUE(writes_.empty());
}

struct PrimeCase {
  std::string name;
  std::optional<bool> claim;
  bool default_prime;
  bool stored;
  std::optional<bool> written;  // nullopt: no user record written
};

class RecordCallerPrimeTest : public RecordCallerTest,
                              public ::testing::WithParamInterface<PrimeCase> {};

TEST_P(RecordCallerPrimeTest, RemembersTheCallersPrimeFlag) {
  const PrimeCase& test_case = GetParam();
  harness_.caller.prime = test_case.claim;
  harness_.config.auth.default_prime = test_case.default_prime;
  record_caller(UserStateBuilder("u1").prime(test_case.stored).build(), harness_.context(),
                writes_);
  if (test_case.written) {
    ASSERT_TRUE(writes_.user.has_value());
    EXPECT_EQ(writes_.user->is_prime, *test_case.written);
  } else {
    EXPECT_FALSE(writes_.user.has_value());
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, RecordCallerPrimeTest,
    ::testing::Values(PrimeCase{"ClaimTrueStoredTrue", true, false, true, std::nullopt},
                      PrimeCase{"ClaimFalseStoredTrue", false, true, true, false},
                      PrimeCase{"ClaimTrueStoredFalse", true, false, false, true},
                      PrimeCase{"NoClaimUsesDefaultTrue", std::nullopt, true, false, true},
                      PrimeCase{"NoClaimUsesDefaultFalse", std::nullopt, false, true, false}),
    [](const auto& info) { return info.param.name; });

struct DeviceCase {
  std::string name;
  std::vector<Device> stored;
  std::string caller_instance;
  Millis now;
  std::vector<Device> written;
};

class RecordCallerDeviceTest : public RecordCallerTest,
                               public ::testing::WithParamInterface<DeviceCase> {};

TEST_P(RecordCallerDeviceTest, RegistersAndRefreshesAsSpecified) {
  const DeviceCase& test_case = GetParam();
  UserState stored = UserStateBuilder("u1").build();
  stored.devices = test_case.stored;
  harness_.caller.instance_id = test_case.caller_instance;
  harness_.clock.set(test_case.now);
  record_caller(stored, harness_.context(), writes_);
  EXPECT_EQ(writes_.put_devices, test_case.written);
}

constexpr Millis t0 = 1'000'000;
constexpr Millis minute = 60'000;

INSTANTIATE_TEST_SUITE_P(
    Table, RecordCallerDeviceTest,
    ::testing::Values(
        DeviceCase{"NoInstanceIdNoDevice", {}, "", t0, {}},
        DeviceCase{
            "NewDeviceUnderTheLimit", {{"device-B", 5, 5}}, "device-A", t0, {{"device-A", t0, t0}}},
        DeviceCase{
            "NewDeviceOverTheLimit", {{"device-B", 5, 5}, {"device-C", 5, 5}}, "device-A", t0, {}},
        DeviceCase{"KnownDeviceAtTheLimitIsRefreshed",
                   {{"device-A", 5, t0 - minute}, {"device-C", 5, 5}},
                   "device-A",
                   t0,
                   {{"device-A", 5, t0}}},
        DeviceCase{"SeenWithinTheResolutionNotWritten",
                   {{"device-A", 5, t0 - minute + 1}},
                   "device-A",
                   t0,
                   {}},
        DeviceCase{"SeenJustAtTheResolutionWritten",
                   {{"device-A", 5, t0 - minute}},
                   "device-A",
                   t0,
                   {{"device-A", 5, t0}}}),
    [](const auto& info) { return info.param.name; });

TEST_F(RecordCallerTest, FirstSightAlsoRegistersTheDevice) {
  record_caller(UserState{}, harness_.context(), writes_);
  EXPECT_EQ(ids_of(writes_.put_devices), Ids{"device-A"});
}

TEST_F(RecordCallerTest, LoginWithoutInstanceIdIsABadRequest) {
  harness_.caller.instance_id.clear();
  const UserState stored = UserStateBuilder("u1").build();
  record_caller(stored, harness_.context(), writes_);
  const auto outcome = plan_login(stored, harness_.context(), writes_);
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(error_info(outcome.failure().error).code, 40000);
}

TEST_F(RecordCallerTest, LoginOverTheLimitIsTooManyDevicesAndRegistersNothing) {
  const UserState stored = UserStateBuilder("u1").devices({"device-B", "device-C"}).build();
  record_caller(stored, harness_.context(), writes_);
  const auto outcome = plan_login(stored, harness_.context(), writes_);
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(error_info(outcome.failure().error).code, 90004);
  EXPECT_TRUE(writes_.put_devices.empty());
}

TEST_F(RecordCallerTest, LoginRegistersANewDevice) {
  const UserState stored = UserStateBuilder("u1").devices({"device-B"}).build();
  record_caller(stored, harness_.context(), writes_);
  const auto outcome = plan_login(stored, harness_.context(), writes_);
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->user_id, "u1");
  EXPECT_EQ(outcome->instance_id, "device-A");
  EXPECT_EQ(ids_of(writes_.put_devices), Ids{"device-A"});
}

TEST_F(RecordCallerTest, LoginIsIdempotentAtTheLimit) {
  const UserState stored = UserStateBuilder("u1").devices({"device-A", "device-B"}).build();
  record_caller(stored, harness_.context(), writes_);
  EXPECT_TRUE(plan_login(stored, harness_.context(), writes_).ok());
}

TEST(PlanForgetDeviceTest, ForgetsAStoredDevice) {
  const UserState stored = UserStateBuilder("u1").devices({"device-A", "device-B"}).build();
  WriteSet writes;
  ASSERT_TRUE(plan_forget_device(stored, "device-B", writes).ok());
  EXPECT_EQ(writes.delete_devices, Ids{"device-B"});
  UserState after = stored;
  apply_write_set(after, writes);
  EXPECT_EQ(ids_of(after.devices), Ids{"device-A"});
}

TEST(PlanForgetDeviceTest, ForgettingWinsOverARegistrationInTheSameRequest) {
  WriteSet writes;
  writes.put_devices.push_back(Device{"device-A", 1, 1});
  ASSERT_TRUE(plan_forget_device(UserStateBuilder("u1").build(), "device-A", writes).ok());
  EXPECT_TRUE(writes.put_devices.empty());
  EXPECT_TRUE(writes.delete_devices.empty()) << "it was never stored";
}

TEST(PlanForgetDeviceTest, UnknownDeviceIsANoOp) {
  WriteSet writes;
  EXPECT_TRUE(plan_forget_device(UserStateBuilder("u1").build(), "device-Z", writes).ok());
  EXPECT_TRUE(writes.empty());
}

TEST(PlanForgetDeviceTest, EmptyInstanceIdIsABadRequest) {
  WriteSet writes;
  const auto outcome = plan_forget_device(UserStateBuilder("u1").build(), "", writes);
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(error_info(outcome.failure().error).code, 40000);
}

TEST(AnswerDevicesTest, ListsDevicesOldestFirst) {
  UserState stored = UserStateBuilder("u1").build();
  stored.devices = {Device{"late", 30, 31}, Device{"early", 10, 40}, Device{"mid", 20, 20}};
  EXPECT_EQ(ids_of(answer_devices(stored).devices), (Ids{"early", "mid", "late"}));
}

TEST(AnswerUserInfoTest, ReportsTheUserRecord) {
  const UserState stored = UserStateBuilder("u1").pwd_hash("p").nonce(7).prime(false).build();
  const UserInfoResponse info = answer_user_info(stored);
  EXPECT_EQ(info.user_id, "u1");
  EXPECT_EQ(info.salt, "salt");
  EXPECT_EQ(info.pwd_hash, "p");
  EXPECT_FALSE(info.is_prime);
  EXPECT_EQ(info.nonce, 7);
}

}  // namespace
}  // namespace primesync::sync
