#include "support/memory_store.hpp"

#include "primesync/error.hpp"

namespace primesync::testing {

UserState MemoryStore::load_user(std::string_view user_id) {
  std::lock_guard lock(mutex_);
  if (unavailable_) throw StoreUnavailable("memory store: unavailable (load)");
  auto found = users_.find(user_id);
  return found == users_.end() ? UserState{} : found->second;
}

std::uint64_t MemoryStore::load_revision(std::string_view user_id) {
  std::lock_guard lock(mutex_);
  if (unavailable_) throw StoreUnavailable("memory store: unavailable (load)");
  auto found = users_.find(user_id);
  return found == users_.end() ? 0 : found->second.user.revision;
}

std::vector<CommitStatus> MemoryStore::commit(std::span<WriteSet> batch) {
  std::unique_lock lock(mutex_);
  if (holding_) {
    ++held_;
    held_changed_.notify_all();
    held_changed_.wait(lock, [&] { return !holding_; });
    --held_;
  }
  if (unavailable_) throw StoreUnavailable("memory store: unavailable (commit)");
  // Nothing below can fail, so the batch is all-or-nothing.
  std::vector<CommitStatus> statuses;
  std::map<std::string, bool, std::less<>> refused;
  for (WriteSet& writes : batch) {
    UserState& stored = users_[writes.user_id];
    if (refused[writes.user_id] || stored.user.revision != writes.expected_revision) {
      refused[writes.user_id] = true;
      statuses.push_back(CommitStatus::conflict);
      continue;
    }
    statuses.push_back(CommitStatus::committed);
    if (writes.delete_user) {
      users_.erase(writes.user_id);
      history_.erase(writes.user_id);
      continue;
    }
    apply_write_set(stored, writes);
    auto& archived = history_[writes.user_id];
    archived.insert(archived.end(), writes.history.begin(), writes.history.end());
    for (OutboxEntry& entry : writes.outbox) {
      entry.sequence = next_sequence_++;
      outbox_.emplace(entry.sequence, entry);
    }
  }
  ++commits_;
  return statuses;
}

void MemoryStore::write_behind(const std::string& user_id, const WriteSet& writes) {
  std::lock_guard lock(mutex_);
  UserState& stored = users_[user_id];
  WriteSet applied = writes;
  applied.user_id = user_id;
  applied.expected_revision = stored.user.revision;
  if (!applied.user) applied.user = stored.user;
  applied.user->user_id = user_id;
  apply_write_set(stored, applied);
}

std::vector<std::string> MemoryStore::list_users(std::string_view after, std::size_t limit) {
  std::lock_guard lock(mutex_);
  if (unavailable_) throw StoreUnavailable("memory store: unavailable (list)");
  std::vector<std::string> users;
  // commit() leaves an empty entry behind for a refused write set of a new user.
  for (auto it = users_.upper_bound(after); it != users_.end() && users.size() < limit; ++it) {
    if (it->second.exists) users.push_back(it->first);
  }
  return users;
}

std::vector<OutboxEntry> MemoryStore::read_outbox(std::size_t max_entries) {
  std::lock_guard lock(mutex_);
  std::vector<OutboxEntry> entries;
  for (auto it = outbox_.begin(); it != outbox_.end() && entries.size() < max_entries; ++it) {
    entries.push_back(it->second);
  }
  return entries;
}

void MemoryStore::remove_outbox(std::span<const std::uint64_t> sequences) {
  std::lock_guard lock(mutex_);
  for (std::uint64_t sequence : sequences) outbox_.erase(sequence);
}

std::size_t MemoryStore::prune_history(Millis older_than) {
  std::lock_guard lock(mutex_);
  std::size_t pruned = 0;
  for (auto& [user_id, records] : history_) {
    pruned += std::erase_if(
        records, [&](const HistoryRecord& record) { return record.archived_at < older_than; });
  }
  return pruned;
}

bool MemoryStore::ready() {
  std::lock_guard lock(mutex_);
  return !unavailable_;
}

void MemoryStore::set_unavailable(bool unavailable) {
  std::lock_guard lock(mutex_);
  unavailable_ = unavailable;
}

void MemoryStore::hold_commits() {
  std::lock_guard lock(mutex_);
  holding_ = true;
}

void MemoryStore::release_commits() {
  {
    std::lock_guard lock(mutex_);
    holding_ = false;
  }
  held_changed_.notify_all();
}

bool MemoryStore::wait_for_held_commit(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return held_changed_.wait_for(lock, timeout, [&] { return held_ > 0; });
}

void MemoryStore::put_user(const UserState& state) {
  std::lock_guard lock(mutex_);
  users_[state.user.user_id] = state;
}

std::uint64_t MemoryStore::add_outbox(OutboxEntry entry) {
  std::lock_guard lock(mutex_);
  entry.sequence = next_sequence_++;
  outbox_.emplace(entry.sequence, entry);
  return entry.sequence;
}

UserState MemoryStore::user(std::string_view user_id) const {
  std::lock_guard lock(mutex_);
  auto found = users_.find(user_id);
  return found == users_.end() ? UserState{} : found->second;
}

std::vector<HistoryRecord> MemoryStore::history(std::string_view user_id) const {
  std::lock_guard lock(mutex_);
  auto found = history_.find(user_id);
  return found == history_.end() ? std::vector<HistoryRecord>{} : found->second;
}

std::vector<OutboxEntry> MemoryStore::outbox() const {
  std::lock_guard lock(mutex_);
  std::vector<OutboxEntry> entries;
  for (const auto& [sequence, entry] : outbox_) entries.push_back(entry);
  return entries;
}

std::size_t MemoryStore::commit_count() const {
  std::lock_guard lock(mutex_);
  return commits_;
}

}  // namespace primesync::testing
