// The write queue's conflict handling, through SyncService on the in-memory store:
// another instance writing behind the service's back (MemoryStore::write_behind)
// makes the cached state stale, and the store refuses write sets planned on it.
// The queue must plan again against the store's state, re-check answers that
// wrote nothing, and give up with 50300 after queue.conflictRetries re-plans.
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "primesync/sync_service.hpp"
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
using testing::share;
using Keys = std::vector<std::string>;

int code_of(const Failure& failure) {
  return error_info(failure.error).code;
}

template <typename T>
int code_of(const Outcome<T>& outcome) {
  return outcome.ok() ? 0 : code_of(outcome.failure());
}

// A Store that refuses every write set while told to (a user whose data another
// instance keeps changing), and otherwise is the MemoryStore it wraps.
// A string shared between the test thread and the store worker.
class AtomicString {
 public:
  void store(std::string value) {
    std::lock_guard lock(mutex_);
    value_ = std::move(value);
  }
  std::string exchange(std::string value) {
    std::lock_guard lock(mutex_);
    std::swap(value, value_);
    return value;
  }

 private:
  std::mutex mutex_;
  std::string value_;
};

class ConflictingStore : public Store {
 public:
  explicit ConflictingStore(Store& inner) : inner_(inner) {}

  UserState load_user(std::string_view user_id) override { return inner_.load_user(user_id); }
  std::uint64_t load_revision(std::string_view user_id) override {
    return inner_.load_revision(user_id);
  }
  std::vector<CommitStatus> commit(std::span<WriteSet> batch) override {
    if (failing_.load()) throw StoreUnavailable("conflicting store: down");
    if (const std::string refused = refuse_once_.exchange({}); !refused.empty()) {
      // Another instance overtook `refused` only: the others commit.
      std::vector<WriteSet> others;
      for (const WriteSet& writes : batch) {
        if (writes.user_id != refused) others.push_back(writes);
      }
      (void)inner_.commit(others);
      failing_.store(fail_after_refusal_.load());
      std::vector<CommitStatus> statuses;
      for (const WriteSet& writes : batch) {
        statuses.push_back(writes.user_id == refused ? CommitStatus::conflict
                                                     : CommitStatus::committed);
      }
      return statuses;
    }
    if (!conflicting_.load()) return inner_.commit(batch);
    refused_commits_.fetch_add(1);
    return std::vector<CommitStatus>(batch.size(), CommitStatus::conflict);
  }
  std::vector<std::string> list_users(std::string_view after, std::size_t limit) override {
    return inner_.list_users(after, limit);
  }
  std::vector<OutboxEntry> read_outbox(std::size_t max_entries) override {
    return inner_.read_outbox(max_entries);
  }
  void remove_outbox(std::span<const std::uint64_t> sequences) override {
    inner_.remove_outbox(sequences);
  }
  std::size_t prune_history(Millis older_than) override { return inner_.prune_history(older_than); }
  bool ready() override { return inner_.ready(); }

  void set_conflicting(bool conflicting) { conflicting_.store(conflicting); }
  // The next commit refuses `user_id`'s write sets and commits the rest; with
  // `then_fail`, every commit after it throws StoreUnavailable.
  void refuse_once(std::string user_id, bool then_fail) {
    fail_after_refusal_.store(then_fail);
    refuse_once_.store(std::move(user_id));
  }
  [[nodiscard]] std::size_t refused_commits() const { return refused_commits_.load(); }

 private:
  Store& inner_;
  std::atomic<bool> conflicting_{false};
  std::atomic<std::size_t> refused_commits_{0};
  AtomicString refuse_once_;
  std::atomic<bool> fail_after_refusal_{false};
  std::atomic<bool> failing_{false};
};

class WriteQueueConflictTest : public ::testing::Test, protected testing::ServiceOnFakes {
 protected:
  // Every user in one shard: batches form deterministically.
  WriteQueueConflictTest() { config_.queue.shards = 1; }

  // Another server's upload of `items` for u1: the stored nonce and revision go
  // up behind this service's cached state.
  void other_instance_uploads(std::vector<Item> items) {
    WriteSet writes;
    writes.user = store_.user("u1").user;
    writes.user->nonce += 1;
    for (Item& item : items) writes.put_items.push_back(share(std::move(item)));
    store_.write_behind("u1", writes);
  }

  // Another server's flush for u1 with a new password.
  void other_instance_changes_password(std::string pwd_hash) {
    const UserState stored = store_.user("u1");
    WriteSet writes;
    writes.user = stored.user;
    writes.user->nonce += 1;
    writes.user->pwd_hash = pwd_hash;
    writes.put_lock = Lock{make_lock(2, "lock-of-" + pwd_hash), pwd_hash};
    store_.write_behind("u1", writes);
  }

  const Caller device_a_{"u1", std::nullopt, "device-A"};
  const Caller device_z_{"u2", std::nullopt, "device-Z"};
};

// The client learnt its nonce from the other instance; the service's cached
// state is one behind. The answer is the store's, not the cache's.
TEST_F(WriteQueueConflictTest, UploadOnAnOvertakenCacheIsAnsweredAgainstTheStore) {
  struct Case {
    const char* name;
    std::int64_t client_nonce;
    int code;            // what the store's state answers
    std::int64_t nonce;  // the stored nonce afterwards (and the answer's on success)
    Keys stored_items;
    std::uint64_t conflicts;  // write sets the store refused
  };
  const std::vector<Case> cases = {
      // Refused by the cached nonce (1) without writing: re-checked, then planned again.
      {"nonce the other instance left", 2, 0, 3, {"a", "b", "c"}, 0},
      // Planned on the cache with writes: the store refuses it, planned again.
      {"older nonce", 1, 0, 3, {"a", "b", "c"}, 1},
      {"no nonce", 0, 0, 3, {"a", "b", "c"}, 1},
      // Too new for the store as well: 90009 only because the store agrees.
      {"nonce nobody gave out", 3, 90009, 2, {"a", "b"}, 0},
  };
  for (const Case& test : cases) {
    SCOPED_TRACE(test.name);
    testing::MemoryStore store;
    SyncService service(config_, store, {}, testing::fixed_environment(clock_, ids_));
    const auto run_upload = [&](std::vector<Item> items, std::int64_t nonce) {
      return await_outcome<WriteResponse>([&](auto done) {
        service.upload(device_a_, UploadRequest{std::move(items), "pwd", nonce}, done);
      });
    };
    ASSERT_TRUE(
        await_outcome<WriteResponse>([&](auto done) {
          service.flush(device_a_, FlushRequest{{make_item("a", 1)}, "pwd", 0, make_lock(1)}, done);
        }).ok());  // nonce 1, cached
    WriteSet behind;
    behind.user = store.user("u1").user;
    behind.user->nonce = 2;
    behind.put_items = {share(make_item("b", 1))};
    store.write_behind("u1", behind);

    auto uploaded = run_upload({make_item("c", 5)}, test.client_nonce);
    EXPECT_EQ(code_of(uploaded), test.code)
        << (uploaded.ok() ? std::string() : uploaded.failure().message);
    if (uploaded.ok()) {
      EXPECT_EQ(uploaded->created, 1U);
      EXPECT_EQ(uploaded->nonce, test.nonce);
    }
    const UserState stored = store.user("u1");
    EXPECT_EQ(stored.user.nonce, test.nonce);
    EXPECT_EQ(keys_of(stored.items.items()), test.stored_items);
    EXPECT_EQ(service.stats().store_conflicts, test.conflicts);
    EXPECT_EQ(service.stats().conflict_failures, 0U);
    // The service now answers from the store's state.
    auto info =
        await_outcome<UserInfoResponse>([&](auto done) { service.user_info(device_a_, done); });
    ASSERT_TRUE(info.ok());
    EXPECT_EQ(info->nonce, test.nonce);
  }
}

// An answer that wrote nothing (a password mismatch on the cached state) is
// trusted only once the store confirms the state it was planned on.
TEST_F(WriteQueueConflictTest, RefusalPlannedOnAStaleCacheIsCheckedAgainstTheStore) {
  ASSERT_TRUE(flush(device_a_, {make_item("a", 1)}).ok());  // pwd, nonce 1, cached
  other_instance_changes_password("pwd2");                  // nonce 2

  // The cache still says "pwd": 90006 there, but the store says "pwd2".
  auto with_new = upload(device_a_, {make_item("c", 5)}, 0, "pwd2");
  ASSERT_TRUE(with_new.ok()) << with_new.failure().message;
  EXPECT_EQ(with_new->nonce, 3);
  EXPECT_EQ(with_new->pwd_hash, "pwd2");
  EXPECT_EQ(store_.user("u1").user.nonce, 3);

  // Now the old password is refused, by the state the store confirms.
  auto with_old = upload(device_a_, {make_item("d", 5)}, 0, "pwd");
  EXPECT_EQ(code_of(with_old), 90006);
  EXPECT_EQ(keys_of(store_.user("u1").items.items()), (Keys{"a", "c"}));
  // Both were settled by re-checking the revision: no write set was refused.
  EXPECT_EQ(service().stats().store_conflicts, 0U);
  EXPECT_EQ(service().stats().conflict_failures, 0U);
  auto info = user_info(device_a_);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->pwd_hash, "pwd2");
  EXPECT_EQ(info->nonce, 3);
}

// A stale password on a stale cache: the cached state lets the upload through
// (and plans writes), the store refuses them, and the re-plan answers 90006.
TEST_F(WriteQueueConflictTest, UploadAcceptedByAStaleCacheIsRefusedByTheStoresState) {
  ASSERT_TRUE(flush(device_a_, {make_item("a", 1)}).ok());
  other_instance_changes_password("pwd2");
  const UserState before = store_.user("u1");

  auto uploaded = upload(device_a_, {make_item("c", 5)}, 0, "pwd");
  EXPECT_EQ(code_of(uploaded), 90006);
  EXPECT_EQ(service().stats().store_conflicts, 1U);
  const UserState after = store_.user("u1");
  EXPECT_EQ(after.user, before.user);
  EXPECT_EQ(keys_of(after.items.items()), Keys{"a"});
}

// The other instance's item is not lost when this instance, on its stale
// cache, uploads another item.
TEST_F(WriteQueueConflictTest, ItemWrittenByAnotherInstanceIsNotLost) {
  ASSERT_TRUE(flush(device_a_, {make_item("a", 1)}).ok());
  other_instance_uploads({make_item("b", 7)});

  auto uploaded = upload(device_a_, {make_item("c", 5)});
  ASSERT_TRUE(uploaded.ok()) << uploaded.failure().message;
  EXPECT_EQ(uploaded->nonce, 3);
  const UserState stored = store_.user("u1");
  EXPECT_EQ(keys_of(stored.items.items()), (Keys{"a", "b", "c"}));
  EXPECT_EQ(stored.items.find("b")->data_timestamp, 7);
  EXPECT_EQ(stored.user.nonce, 3);
  EXPECT_EQ(service().stats().store_conflicts, 1U);

  // A download now serves both instances' items.
  DownloadRequest request;
  request.pwd_hash = "pwd";
  auto downloaded = await_outcome<DownloadResponse>(
      [&](auto done) { service().download(device_a_, request, done); });
  ASSERT_TRUE(downloaded.ok());
  EXPECT_EQ(keys_of(downloaded->server_data), (Keys{"a", "b", "c"}));
  EXPECT_EQ(downloaded->nonce, 3);
}

// Overtaken between planning and commit (the state was the stored one when
// planned): the store refuses it, and the re-plan keeps the other write.
TEST_F(WriteQueueConflictTest, UploadOvertakenWhileCommittingIsPlannedAgain) {
  ASSERT_TRUE(flush(device_a_, {make_item("a", 1)}).ok());
  store_.hold_commits();
  std::promise<Outcome<WriteResponse>> answered;
  service().upload(device_a_, UploadRequest{{make_item("c", 5)}, "pwd", 0},
                   [&](Outcome<WriteResponse> outcome) { answered.set_value(std::move(outcome)); });
  ASSERT_TRUE(store_.wait_for_held_commit(
      std::chrono::duration_cast<std::chrono::milliseconds>(testing::completion_deadline)));
  other_instance_uploads({make_item("b", 7)});  // lands while the commit waits
  store_.release_commits();

  auto future = answered.get_future();
  ASSERT_EQ(future.wait_for(testing::completion_deadline), std::future_status::ready);
  auto uploaded = future.get();
  ASSERT_TRUE(uploaded.ok()) << uploaded.failure().message;
  EXPECT_EQ(uploaded->nonce, 3);
  EXPECT_EQ(keys_of(store_.user("u1").items.items()), (Keys{"a", "b", "c"}));
  EXPECT_EQ(service().stats().store_conflicts, 1U);
}

// Every write operation planned again after a conflict is planned with its whole
// request (the first plan must not use it up).
TEST_F(WriteQueueConflictTest, OperationPlannedAgainKeepsItsWholeRequest) {
  struct Case {
    const char* name;
    std::function<void(SyncService&, std::function<void(int)>)> start;  // reports the code
    std::function<void(const UserState&)> expect_stored;
  };
  const auto report = [](std::function<void(int)> done) {
    return [done](auto outcome) { done(code_of(outcome)); };
  };
  const std::vector<Case> cases = {
      {"upload",
       [&](SyncService& service, std::function<void(int)> done) {
         service.upload(device_a_, UploadRequest{{make_item("c", 5)}, "pwd", 0}, report(done));
       },
       [](const UserState& stored) {
         EXPECT_EQ(keys_of(stored.items.items()), (Keys{"a", "b", "c"}));
         EXPECT_EQ(stored.user.pwd_hash, "pwd");
         EXPECT_EQ(stored.user.nonce, 3);
       }},
      {"flush",
       [&](SyncService& service, std::function<void(int)> done) {
         service.flush(device_a_,
                       FlushRequest{{make_item("x", 9)}, "pwd-new", 0, make_lock(9, "flush-lock")},
                       report(done));
       },
       [](const UserState& stored) {
         EXPECT_EQ(keys_of(stored.items.items()), Keys{"x"});  // a flush replaces every item
         EXPECT_EQ(stored.user.pwd_hash, "pwd-new");
         EXPECT_EQ(stored.user.nonce, 3);
         ASSERT_TRUE(stored.lock.has_value());
         EXPECT_EQ(stored.lock->item.data, "flush-lock");
       }},
      {"change lock",
       [&](SyncService& service, std::function<void(int)> done) {
         service.change_lock(device_a_, ChangeLockRequest{make_lock(9, "new-lock"), "pwd-new"},
                             report(done));
       },
       [](const UserState& stored) {
         EXPECT_EQ(keys_of(stored.items.items()), (Keys{"a", "b"}));
         EXPECT_EQ(stored.user.pwd_hash, "pwd-new");
         ASSERT_TRUE(stored.lock.has_value());
         EXPECT_EQ(stored.lock->item.key, "lock");
         EXPECT_EQ(stored.lock->item.data, "new-lock");
         EXPECT_EQ(stored.lock->pwd_hash, "pwd-new");
       }},
  };
  for (const Case& test : cases) {
    SCOPED_TRACE(test.name);
    testing::MemoryStore store;
    SyncService service(config_, store, {}, testing::fixed_environment(clock_, ids_));
    ASSERT_TRUE(
        await_outcome<WriteResponse>([&](auto done) {
          service.flush(device_a_, FlushRequest{{make_item("a", 1)}, "pwd", 0, make_lock(1)}, done);
        }).ok());

    // Overtaken between planning and commit.
    store.hold_commits();
    std::promise<int> answered;
    test.start(service, [&](int code) { answered.set_value(code); });
    ASSERT_TRUE(store.wait_for_held_commit(
        std::chrono::duration_cast<std::chrono::milliseconds>(testing::completion_deadline)));
    WriteSet behind;
    behind.user = store.user("u1").user;
    behind.user->nonce = 2;
    behind.put_items = {share(make_item("b", 7))};
    store.write_behind("u1", behind);
    store.release_commits();

    auto future = answered.get_future();
    ASSERT_EQ(future.wait_for(testing::completion_deadline), std::future_status::ready);
    EXPECT_EQ(future.get(), 0);
    EXPECT_EQ(service.stats().store_conflicts, 1U);
    test.expect_stored(store.user("u1"));
  }
}

// In one batch, only the overtaken user's operation is planned again; another
// user's operation commits once, and each queues one notification, with the
// nonce it committed.
TEST_F(WriteQueueConflictTest, ConflictOfOneUserLeavesTheOtherUsersOfTheBatchAlone) {
  notifier_.fail_next(1'000'000);  // keep every notification in the outbox, to count them
  for (const Caller& other_device :
       {Caller{"u1", std::nullopt, "device-B"}, Caller{"u2", std::nullopt, "device-Y"}}) {
    ASSERT_TRUE(
        await_outcome<LoginResponse>([&](auto done) { service().login(other_device, done); }).ok());
  }
  ASSERT_TRUE(flush(device_a_, {make_item("a", 1)}).ok());
  ASSERT_TRUE(flush(device_z_, {make_item("z", 1)}).ok());

  // The worker waits inside the commit of u3's flush; the next two queue up
  // behind it and form one batch.
  const std::uint64_t batches_before = service().stats().batches;
  store_.hold_commits();
  std::promise<Outcome<WriteResponse>> blocked;
  service().flush(Caller{"u3", std::nullopt, "device-C"}, FlushRequest{{}, "", 0, std::nullopt},
                  [&](Outcome<WriteResponse> outcome) { blocked.set_value(std::move(outcome)); });
  ASSERT_TRUE(store_.wait_for_held_commit(
      std::chrono::duration_cast<std::chrono::milliseconds>(testing::completion_deadline)));
  std::promise<Outcome<WriteResponse>> first;
  std::promise<Outcome<WriteResponse>> second;
  service().upload(device_a_, UploadRequest{{make_item("c", 5)}, "pwd", 0},
                   [&](Outcome<WriteResponse> outcome) { first.set_value(std::move(outcome)); });
  service().upload(device_z_, UploadRequest{{make_item("y", 5)}, "pwd", 0},
                   [&](Outcome<WriteResponse> outcome) { second.set_value(std::move(outcome)); });
  other_instance_uploads({make_item("b", 7)});  // u1's cached state is now stale
  store_.release_commits();

  for (auto* promise : {&blocked, &first, &second}) {
    auto future = promise->get_future();
    ASSERT_EQ(future.wait_for(testing::completion_deadline), std::future_status::ready);
    auto outcome = future.get();
    ASSERT_TRUE(outcome.ok()) << outcome.failure().message;
  }
  EXPECT_EQ(store_.user("u1").user.nonce, 3);
  EXPECT_EQ(keys_of(store_.user("u1").items.items()), (Keys{"a", "b", "c"}));
  EXPECT_EQ(store_.user("u2").user.nonce, 2);
  EXPECT_EQ(keys_of(store_.user("u2").items.items()), (Keys{"y", "z"}));
  EXPECT_EQ(service().stats().store_conflicts, 1U) << "u1's write set only";
  // u3's flush, then the batch of both uploads, then u1's upload planned again.
  EXPECT_EQ(service().stats().batches - batches_before, 3U);

  std::map<std::string, std::vector<testing::DecodedMessage>> changes;
  for (const OutboxEntry& entry : store_.outbox()) {
    testing::DecodedMessage message = testing::decode_message(entry.message);
    if (message.type == "CONFIG_CHANGE") changes[message.user_id].push_back(std::move(message));
  }
  ASSERT_EQ(changes["u1"].size(), 1U);
  EXPECT_EQ(changes["u1"][0].nonce, 3);
  EXPECT_EQ(changes["u1"][0].server_data_keys, Keys{"c"});
  ASSERT_EQ(changes["u2"].size(), 1U);
  EXPECT_EQ(changes["u2"][0].nonce, 2);
  EXPECT_EQ(changes["u2"][0].server_data_keys, Keys{"y"});
}

// u1's write set conflicts in a batch where u2's commits; the store then fails
// while u1 is planned again. u2's upload committed: it is acknowledged, not 50300.
TEST_F(WriteQueueConflictTest, AStoreFailureAfterAConflictKeepsWhatCommittedBefore) {
  testing::MemoryStore store;
  ConflictingStore conflicting(store);
  SyncService service(config_, conflicting, {}, testing::fixed_environment(clock_, ids_));
  for (const Caller& caller : {device_a_, device_z_}) {
    ASSERT_TRUE(
        await_outcome<WriteResponse>([&](auto done) {
          service.flush(caller, FlushRequest{{make_item("a", 1)}, "pwd", 0, make_lock(1)}, done);
        }).ok());
  }
  // Both uploads wait behind a held commit, so they form one batch.
  store.hold_commits();
  std::promise<Outcome<WriteResponse>> blocked;
  service.flush(Caller{"u3", std::nullopt, "device-C"}, FlushRequest{{}, "", 0, std::nullopt},
                [&](Outcome<WriteResponse> outcome) { blocked.set_value(std::move(outcome)); });
  ASSERT_TRUE(store.wait_for_held_commit(
      std::chrono::duration_cast<std::chrono::milliseconds>(testing::completion_deadline)));
  std::promise<Outcome<WriteResponse>> first;
  std::promise<Outcome<WriteResponse>> second;
  service.upload(device_a_, UploadRequest{{make_item("b", 5)}, "pwd", 1},
                 [&](Outcome<WriteResponse> outcome) { first.set_value(std::move(outcome)); });
  service.upload(device_z_, UploadRequest{{make_item("y", 5)}, "pwd", 1},
                 [&](Outcome<WriteResponse> outcome) { second.set_value(std::move(outcome)); });
  // The held commit is past the wrapper already: this applies to the uploads' batch.
  conflicting.refuse_once("u1", /*then_fail=*/true);
  store.release_commits();
  ASSERT_EQ(blocked.get_future().wait_for(testing::completion_deadline), std::future_status::ready);

  auto u1 = first.get_future();
  auto u2 = second.get_future();
  ASSERT_EQ(u1.wait_for(testing::completion_deadline), std::future_status::ready);
  ASSERT_EQ(u2.wait_for(testing::completion_deadline), std::future_status::ready);
  EXPECT_EQ(code_of(u1.get()), 50300);
  const Outcome<WriteResponse> committed = u2.get();
  ASSERT_TRUE(committed.ok()) << committed.failure().message;
  EXPECT_EQ(committed->nonce, 2);
  EXPECT_EQ(keys_of(store.user("u2").items.items()), (Keys{"a", "y"}));
  EXPECT_EQ(keys_of(store.user("u1").items.items()), Keys{"a"});
}

// A store that other instances write to as well.
class SharedMemoryStore : public testing::MemoryStore {
 public:
  [[nodiscard]] bool shared() const override { return true; }
};

// Another instance uploads behind a cached state: on a shared store the next
// check sees it (the cached revision is confirmed first); on a store only this
// process writes, the cache answers.
TEST_F(WriteQueueConflictTest, ReadsOnASharedStoreNeverAnswerFromAnOvertakenCache) {
  for (const bool shared : {true, false}) {
    SCOPED_TRACE(shared ? "shared store" : "store of this process only");
    std::unique_ptr<testing::MemoryStore> store =
        shared ? std::make_unique<SharedMemoryStore>() : std::make_unique<testing::MemoryStore>();
    SyncService service(config_, *store, {}, testing::fixed_environment(clock_, ids_));
    const auto check = [&] {
      return await_outcome<CheckResponse>([&](auto done) {
        service.check(device_a_, CheckRequest{{}, {}, "pwd", 0}, done);
      });
    };
    ASSERT_TRUE(
        await_outcome<WriteResponse>([&](auto done) {
          service.flush(device_a_, FlushRequest{{make_item("a", 1)}, "pwd", 0, make_lock(1)}, done);
        }).ok());
    ASSERT_EQ(check()->nonce, 1);  // cached now

    WriteSet behind;
    behind.user = store->user("u1").user;
    behind.user->nonce = 2;
    behind.put_items = {share(make_item("b", 5))};
    store->write_behind("u1", behind);

    const Outcome<CheckResponse> after = check();
    ASSERT_TRUE(after.ok()) << after.failure().message;
    EXPECT_EQ(after->nonce, shared ? 2 : 1);
    EXPECT_EQ(after->updated.size(), shared ? 2U : 1U);  // items the device lacks
  }
}

// A store that refuses every write set: the operation is planned
// 1 + queue.conflictRetries times, then answered 50300, and counted.
TEST_F(WriteQueueConflictTest, AlwaysConflictingStoreEndsWith50300AfterTheRetries) {
  for (const std::size_t retries : {0U, 1U, 3U, 8U}) {
    SCOPED_TRACE("queue.conflictRetries = " + std::to_string(retries));
    testing::MemoryStore store;
    ConflictingStore conflicting(store);
    Config config = config_;
    config.queue.conflict_retries = retries;
    SyncService service(config, conflicting, {}, testing::fixed_environment(clock_, ids_));
    ASSERT_TRUE(
        await_outcome<WriteResponse>([&](auto done) {
          service.flush(device_a_, FlushRequest{{make_item("a", 1)}, "pwd", 0, make_lock(1)}, done);
        }).ok());
    const UserState before = store.user("u1");

    conflicting.set_conflicting(true);
    auto refused = await_outcome<WriteResponse>([&](auto done) {
      service.upload(device_a_, UploadRequest{{make_item("b", 5)}, "pwd", 0}, done);
    });
    EXPECT_EQ(code_of(refused), 50300);
    EXPECT_EQ(conflicting.refused_commits(), retries + 1) << "one commit per plan";
    EXPECT_EQ(service.stats().store_conflicts, retries + 1);
    EXPECT_EQ(service.stats().conflict_failures, 1U);
    EXPECT_EQ(store.user("u1").user, before.user);
    EXPECT_EQ(keys_of(store.user("u1").items.items()), Keys{"a"});

    // Once the store takes writes again, the next upload commits.
    conflicting.set_conflicting(false);
    auto uploaded = await_outcome<WriteResponse>([&](auto done) {
      service.upload(device_a_, UploadRequest{{make_item("b", 5)}, "pwd", 0}, done);
    });
    ASSERT_TRUE(uploaded.ok()) << uploaded.failure().message;
    EXPECT_EQ(uploaded->nonce, 2);
    EXPECT_EQ(service.stats().conflict_failures, 1U);
  }
}

}  // namespace
}  // namespace primesync
