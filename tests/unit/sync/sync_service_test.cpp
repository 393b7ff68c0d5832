// SyncService end to end on the in-memory store and the recording notifier, with
// a fixed clock: ordering, concurrency, store failures, back-pressure, Prime.
#include "primesync/sync_service.hpp"

#include <gtest/gtest.h>

#include <latch>
#include <set>
#include <thread>

#include "support/await.hpp"
#include "support/builders.hpp"
#include "support/decoded_message.hpp"
#include "support/memory_store.hpp"
#include "support/recording_notifier.hpp"
#include "support/service_environment.hpp"
#include "support/service_on_fakes.hpp"

namespace primesync {
namespace {

using namespace std::chrono_literals;
using testing::await_outcome;
using testing::keys_of;
using testing::make_item;
using testing::make_lock;
using Keys = std::vector<std::string>;

constexpr auto delivery_deadline = 10s;

int code_of(const Failure& failure) {
  return error_info(failure.error).code;
}

// The code an operation answers (0 on success).
template <typename T, typename Start>
int code_of_outcome(Start start) {
  auto outcome = await_outcome<T>(start);
  return outcome.ok() ? 0 : code_of(outcome.failure());
}

class SyncServiceTest : public ::testing::Test, protected testing::ServiceOnFakes {
 protected:
  SyncServiceTest() { config_.queue.shards = 2; }

  const Caller device_a_{"u1", std::nullopt, "device-A"};
  const Caller device_b_{"u1", std::nullopt, "device-B"};
};

TEST_F(SyncServiceTest, UploadThenCheck) {
  auto flushed = flush(device_a_, {make_item("a", 1)});
  ASSERT_TRUE(flushed.ok()) << flushed.failure().message;
  EXPECT_EQ(flushed->created, 1U);
  EXPECT_EQ(flushed->nonce, 1);

  auto uploaded = upload(device_a_, {make_item("a", 2), make_item("b", 1)});
  ASSERT_TRUE(uploaded.ok()) << uploaded.failure().message;
  EXPECT_EQ(uploaded->created, 1U);
  EXPECT_EQ(uploaded->updated, 1U);
  EXPECT_EQ(uploaded->skipped, 0U);
  EXPECT_EQ(uploaded->nonce, 2);

  // The client has a as stored, an older b, and a z the server never saw.
  const std::vector<std::string> keys = {"a", "b", "z"};
  CheckRequest request;
  request.local_data = {CheckEntry{keys[0], "Wallet", 2}, CheckEntry{keys[1], "Wallet", 0},
                        CheckEntry{keys[2], "Wallet", 5}};
  request.pwd_hash = "pwd";
  auto checked =
      await_outcome<CheckResponse>([&](auto done) { service().check(device_a_, request, done); });
  ASSERT_TRUE(checked.ok()) << checked.failure().message;
  EXPECT_EQ(checked->obsoleted, std::vector<std::string_view>{"z"});
  EXPECT_EQ(keys_of(checked->updated), Keys{"b"});
  EXPECT_TRUE(checked->diff.empty());
  EXPECT_TRUE(checked->deleted.empty());
  EXPECT_EQ(checked->nonce, 2);
  EXPECT_EQ(checked->pwd_hash, "pwd");
  EXPECT_EQ(checked->server_time, clock_.now());

  // And it is what the store holds.
  const UserState stored = store_.user("u1");
  EXPECT_EQ(stored.user.nonce, 2);
  EXPECT_EQ(keys_of(stored.items.items()), (Keys{"a", "b"}));
  const auto history = store_.history("u1");
  ASSERT_EQ(history.size(), 1U);  // the a the upload replaced
  EXPECT_EQ(history[0].item->data_timestamp, 1);
  EXPECT_EQ(history[0].nonce, 2);
}

TEST_F(SyncServiceTest, UploadNotifiesTheOtherDeviceOnly) {
  ASSERT_TRUE(login(device_b_).ok());
  ASSERT_TRUE(flush(device_a_, {}).ok());
  ASSERT_TRUE(upload(device_a_, {make_item("a", 1)}).ok());
  ASSERT_TRUE(notifier_.wait_for_deliveries(2, delivery_deadline));

  const auto delivered = notifier_.delivered();
  ASSERT_EQ(delivered.size(), 2U);
  const auto flush_message = testing::decode_message(delivered[0].message);
  const auto change_message = testing::decode_message(delivered[1].message);
  EXPECT_EQ(flush_message.type, "CONFIG_FLUSH");
  EXPECT_EQ(change_message.type, "CONFIG_CHANGE");
  EXPECT_EQ(change_message.devices, Keys{"device-B"});
  EXPECT_EQ(change_message.server_data_keys, Keys{"a"});
  EXPECT_EQ(change_message.nonce, 2);
}

TEST_F(SyncServiceTest, NotifierFailureDoesNotFailTheOperationAndIsRetried) {
  ASSERT_TRUE(login(device_b_).ok());
  ASSERT_TRUE(flush(device_a_, {}).ok());
  ASSERT_TRUE(notifier_.wait_for_deliveries(1, delivery_deadline));
  notifier_.fail_next(1);

  auto uploaded = upload(device_a_, {make_item("a", 1)});
  ASSERT_TRUE(uploaded.ok());
  EXPECT_EQ(uploaded->nonce, 2);
  ASSERT_TRUE(notifier_.wait_for_deliveries(2, delivery_deadline));
  EXPECT_EQ(testing::decode_message(notifier_.delivered()[1].message).type, "CONFIG_CHANGE");
  EXPECT_GE(notifier_.attempts(), 3U);
}

TEST_F(SyncServiceTest, ConcurrentUploadsOfOneUserGetDistinctNonces) {
  ASSERT_TRUE(flush(device_a_, {make_item("seed", 100)}).ok());  // nonce 1
  constexpr int threads = 8;
  std::latch start(threads);
  std::vector<std::int64_t> winning_nonces(threads);
  std::vector<std::int64_t> losing_nonces(threads);
  std::vector<std::thread> workers;
  for (int i = 0; i < threads; ++i) {
    workers.emplace_back([&, i] {
      start.arrive_and_wait();
      auto won = upload(device_a_, {make_item("k" + std::to_string(i), 10)});
      winning_nonces[i] = won.ok() && won->created == 1 ? won->nonce : -1;
      // Older than the stored seed: loses, so it must not move the nonce.
      auto lost = upload(device_a_, {make_item("seed", 1)});
      losing_nonces[i] = lost.ok() && lost->skipped == 1U ? lost->nonce : -1;
    });
  }
  for (auto& worker : workers) worker.join();

  const std::set<std::int64_t> distinct(winning_nonces.begin(), winning_nonces.end());
  EXPECT_EQ(distinct.size(), static_cast<std::size_t>(threads));
  EXPECT_EQ(*distinct.begin(), 2);
  EXPECT_EQ(*distinct.rbegin(), 1 + threads);
  for (std::int64_t nonce : losing_nonces) {
    EXPECT_GE(nonce, 2);
    EXPECT_LE(nonce, 1 + threads);
  }
  EXPECT_EQ(store_.user("u1").user.nonce, 1 + threads) << "one increment per winning upload";
  EXPECT_EQ(user_info(device_a_)->nonce, 1 + threads);
}

TEST_F(SyncServiceTest, StoreFailingToCommitAnswers50300AndChangesNothing) {
  ASSERT_TRUE(flush(device_a_, {make_item("a", 1)}).ok());
  const UserState before = store_.user("u1");

  store_.set_unavailable(true);
  auto uploaded = upload(device_a_, {make_item("a", 2), make_item("b", 1)});
  ASSERT_FALSE(uploaded.ok());
  EXPECT_EQ(code_of(uploaded.failure()), 50300);
  EXPECT_GE(service().stats().store_failures, 1U);

  store_.set_unavailable(false);
  const UserState after = store_.user("u1");
  EXPECT_EQ(after.user, before.user);
  EXPECT_EQ(keys_of(after.items.items()), Keys{"a"});
  EXPECT_EQ(after.items.find("a")->data_timestamp, 1);
  // The service did not keep the failed state in its cache either.
  auto info = user_info(device_a_);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->nonce, 1);
}

TEST_F(SyncServiceTest, StoreFailingToLoadAnswers50300) {
  store_.set_unavailable(true);
  auto info = user_info(device_a_);
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(code_of(info.failure()), 50300);
  EXPECT_FALSE(service().ready());
}

TEST_F(SyncServiceTest, FullQueueAnswers50300) {
  config_.queue.shards = 1;
  config_.queue.capacity = 1;
  ASSERT_TRUE(flush(device_a_, {}).ok());

  store_.hold_commits();
  std::promise<Outcome<WriteResponse>> first;
  std::promise<Outcome<WriteResponse>> second;
  service().upload(device_a_, UploadRequest{{make_item("a", 1)}, "pwd", 0},
                   [&](Outcome<WriteResponse> outcome) { first.set_value(std::move(outcome)); });
  ASSERT_TRUE(store_.wait_for_held_commit(
      std::chrono::duration_cast<std::chrono::milliseconds>(testing::completion_deadline)));
  // The worker is inside the store: this one fills the queue, the next is refused.
  service().upload(device_a_, UploadRequest{{make_item("b", 1)}, "pwd", 0},
                   [&](Outcome<WriteResponse> outcome) { second.set_value(std::move(outcome)); });
  auto refused = upload(device_a_, {make_item("c", 1)});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(code_of(refused.failure()), 50300);
  EXPECT_EQ(service().stats().queue_rejected, 1U);

  store_.release_commits();
  auto first_future = first.get_future();
  auto second_future = second.get_future();
  ASSERT_EQ(first_future.wait_for(testing::completion_deadline), std::future_status::ready);
  ASSERT_EQ(second_future.wait_for(testing::completion_deadline), std::future_status::ready);
  EXPECT_TRUE(first_future.get().ok());
  EXPECT_TRUE(second_future.get().ok());
  EXPECT_EQ(keys_of(store_.user("u1").items.items()), (Keys{"a", "b"}));
}

class NonPrimeServiceTest : public SyncServiceTest {
 protected:
  void SetUp() override {
    config_.auth.require_prime = true;
    store_.put_user(testing::UserStateBuilder("u1").pwd_hash("pwd").nonce(1).build());
  }
  const Caller not_prime_{"u1", false, "device-A"};
};

TEST_F(NonPrimeServiceTest, SyncOperationsAnswer90005) {
  const std::vector<std::pair<std::string, int>> outcomes = {
      {"check", code_of_outcome<CheckResponse>([&](auto done) {
         service().check(not_prime_, CheckRequest{{}, {}, "pwd", 0}, done);
       })},
      {"upload", code_of_outcome<WriteResponse>([&](auto done) {
         service().upload(not_prime_, UploadRequest{{make_item("a", 1)}, "pwd", 0}, done);
       })},
      {"download", code_of_outcome<DownloadResponse>([&](auto done) {
         DownloadRequest request;
         request.pwd_hash = "pwd";
         service().download(not_prime_, request, done);
       })},
      {"flush", code_of_outcome<WriteResponse>([&](auto done) {
         service().flush(not_prime_, FlushRequest{{}, "", 0, std::nullopt}, done);
       })},
      {"get_lock",
       code_of_outcome<LockResponse>([&](auto done) { service().get_lock(not_prime_, done); })},
      {"change_lock", code_of_outcome<ChangeLockResponse>([&](auto done) {
         service().change_lock(not_prime_, ChangeLockRequest{make_lock(1), "new"}, done);
       })}};
  for (const auto& [operation, code] : outcomes) EXPECT_EQ(code, 90005) << operation;

  const UserState stored = store_.user("u1");
  EXPECT_EQ(stored.user.nonce, 1) << "nothing written by a refused operation";
  EXPECT_EQ(stored.user.pwd_hash, "pwd");
  EXPECT_TRUE(stored.items.empty());
  EXPECT_FALSE(stored.lock.has_value());
}

TEST_F(NonPrimeServiceTest, UserInfoStillWorks) {
  auto info = user_info(not_prime_);
  ASSERT_TRUE(info.ok());
  EXPECT_FALSE(info->is_prime);
  EXPECT_EQ(info->nonce, 1);
}

TEST_F(NonPrimeServiceTest, NotRequiredLetsThemSync) {
  config_.auth.require_prime = false;
  auto uploaded = upload(not_prime_, {make_item("a", 1)});
  ASSERT_TRUE(uploaded.ok()) << uploaded.failure().message;
  EXPECT_EQ(uploaded->nonce, 2);
}

}  // namespace
}  // namespace primesync
