// Embedding primesync as a library: the service wired to a store and a notifier
// of your own. Everything primesync needs from you is these two interfaces.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>

#include "primesync/sync_service.hpp"

namespace {

using namespace primesync;

// A store keeping everything in memory. A real one would write to a database;
// it must commit each batch atomically and throw StoreUnavailable when it cannot.
class MapStore : public Store {
 public:
  UserState load_user(std::string_view user_id) override {
    std::lock_guard lock(mutex_);
    auto found = users_.find(std::string(user_id));
    return found == users_.end() ? UserState{} : found->second;
  }

  std::uint64_t load_revision(std::string_view user_id) override {
    return load_user(user_id).user.revision;
  }

  std::vector<CommitStatus> commit(std::span<WriteSet> batch) override {
    std::lock_guard lock(mutex_);
    std::vector<CommitStatus> statuses;
    std::set<std::string> refused;
    for (WriteSet& writes : batch) {
      UserState& stored = users_[writes.user_id];
      // The precondition: nobody else wrote since this write set was planned.
      if (refused.contains(writes.user_id) || stored.user.revision != writes.expected_revision) {
        refused.insert(writes.user_id);
        statuses.push_back(CommitStatus::conflict);
        continue;
      }
      if (writes.delete_user) {  // the operator's delete: everything of the user goes
        users_.erase(writes.user_id);
        statuses.push_back(CommitStatus::committed);
        continue;
      }
      apply_write_set(stored, writes);            // items, lock, devices, user record
      for (OutboxEntry& entry : writes.outbox) {  // notifications to send
        entry.sequence = next_sequence_++;
        outbox_.push_back(entry);
      }
      statuses.push_back(CommitStatus::committed);
    }
    return statuses;
  }

  std::vector<std::string> list_users(std::string_view after, std::size_t limit) override {
    std::lock_guard lock(mutex_);
    std::vector<std::string> users;
    for (auto it = users_.upper_bound(std::string(after));
         it != users_.end() && users.size() < limit; ++it) {
      if (it->second.exists) users.push_back(it->first);
    }
    return users;
  }

  std::vector<OutboxEntry> read_outbox(std::size_t max_entries) override {
    std::lock_guard lock(mutex_);
    return {outbox_.begin(), outbox_.begin() + std::min(max_entries, outbox_.size())};
  }

  void remove_outbox(std::span<const std::uint64_t> sequences) override {
    std::lock_guard lock(mutex_);
    std::erase_if(outbox_, [&](const OutboxEntry& entry) {
      return std::find(sequences.begin(), sequences.end(), entry.sequence) != sequences.end();
    });
  }

  std::size_t prune_history(Millis) override { return 0; }  // this store keeps no history
  bool ready() override { return true; }

 private:
  std::mutex mutex_;
  std::map<std::string, UserState> users_;
  std::vector<OutboxEntry> outbox_;
  std::uint64_t next_sequence_ = 1;
};

// A notifier that keeps the messages. A real one would publish them (Kafka, a
// WebSocket hub); entries it reports undelivered are retried.
class InboxNotifier : public Notifier {
 public:
  std::string_view name() const override { return "inbox"; }

  void deliver(std::span<const OutboxEntry> entries, std::vector<bool>& delivered) override {
    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < entries.size(); ++i) {
      messages_.push_back(entries[i].message);
      delivered[i] = true;
    }
    arrived_.notify_all();
  }

  // The first message containing `text`, waiting up to 10 s for it.
  std::optional<std::string> wait_for(std::string_view text) {
    std::unique_lock lock(mutex_);
    auto found = messages_.end();
    arrived_.wait_for(lock, std::chrono::seconds(10), [&] {
      found = std::find_if(messages_.begin(), messages_.end(), [&](const std::string& message) {
        return message.find(text) != std::string::npos;
      });
      return found != messages_.end();
    });
    if (found == messages_.end()) return std::nullopt;
    return *found;
  }

 private:
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::vector<std::string> messages_;
};

// Runs one operation and waits (up to 10 s) for its answer, which arrives on a
// service thread.
template <typename T, typename Operation>
Outcome<T> run(Operation operation) {
  auto answer = std::make_shared<std::promise<Outcome<T>>>();
  operation([answer](Outcome<T> outcome) { answer->set_value(std::move(outcome)); });
  auto future = answer->get_future();
  if (future.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    return fail(Error::internal, "no answer within 10 s");
  }
  return future.get();
}

TEST(EmbeddingExample, UploadFromOneDeviceNotifiesTheOther) {
  MapStore store;
  InboxNotifier notifier;
  SyncService service(Config{}, store, {&notifier}, default_environment());

  const Caller phone{"alice", /*prime=*/true, "device-A"};
  const Caller laptop{"alice", /*prime=*/true, "device-B"};

  // The laptop registers itself, so it receives alice's changes.
  ASSERT_TRUE(run<LoginResponse>([&](auto done) { service.login(laptop, done); }).ok());

  // The phone enables sync: a flush sets the password (pwdHash) and the lock.
  const Item lock{"lock", "Lock", "encrypted-lock", 1, false};
  auto flushed = run<WriteResponse>([&](auto done) {
    service.flush(phone, FlushRequest{{}, "pwd-1", 0, lock}, done);
  });
  ASSERT_TRUE(flushed.ok());
  EXPECT_EQ(flushed->nonce, 1);

  // The phone uploads a wallet.
  const Item wallet{"wallet-key", "Wallet", "encrypted-wallet", 1000, false};
  auto uploaded = run<WriteResponse>([&](auto done) {
    service.upload(phone, UploadRequest{{wallet}, "pwd-1", 0}, done);
  });
  ASSERT_TRUE(uploaded.ok());
  EXPECT_EQ(uploaded->created, 1U);
  EXPECT_EQ(uploaded->nonce, 2);

  // The laptop is told, through our notifier.
  const auto change = notifier.wait_for(R"("type":"CONFIG_CHANGE")");
  ASSERT_TRUE(change.has_value());
  EXPECT_NE(change->find(R"("devices":["device-B"])"), std::string::npos);
  EXPECT_NE(change->find(R"("key":"wallet-key")"), std::string::npos);
}

}  // namespace
