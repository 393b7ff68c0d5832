// An in-memory Store for tests: thread-safe, atomic per commit, with switches to
// make it unavailable (load and commit throw StoreUnavailable) or to hold commits
// until released (to fill the write queue deterministically).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "primesync/store.hpp"

namespace primesync::testing {

class MemoryStore : public Store {
 public:
  // Store.
  [[nodiscard]] UserState load_user(std::string_view user_id) override;
  [[nodiscard]] std::uint64_t load_revision(std::string_view user_id) override;
  [[nodiscard]] std::vector<CommitStatus> commit(std::span<WriteSet> batch) override;
  [[nodiscard]] std::vector<std::string> list_users(std::string_view after,
                                                    std::size_t limit) override;
  [[nodiscard]] std::vector<OutboxEntry> read_outbox(std::size_t max_entries) override;
  void remove_outbox(std::span<const std::uint64_t> sequences) override;
  std::size_t prune_history(Millis older_than) override;
  [[nodiscard]] bool ready() override;

  // While set, load_user and commit throw StoreUnavailable.
  void set_unavailable(bool unavailable);
  // Commits wait until release_commits(); wait_for_held_commit() returns once one waits.
  void hold_commits();
  void release_commits();
  [[nodiscard]] bool wait_for_held_commit(std::chrono::milliseconds timeout);

  // Seeding and inspection.
  void put_user(const UserState& state);
  std::uint64_t add_outbox(OutboxEntry entry);  // returns the assigned sequence
  [[nodiscard]] UserState user(std::string_view user_id) const;
  [[nodiscard]] std::vector<HistoryRecord> history(std::string_view user_id) const;
  [[nodiscard]] std::vector<OutboxEntry> outbox() const;
  [[nodiscard]] std::size_t commit_count() const;  // successful commit() calls
  // Another instance's write: raises the stored revision of the user (and applies
  // `writes`, if any) behind the service's back, as a second server would.
  void write_behind(const std::string& user_id, const WriteSet& writes = {});

 private:
  mutable std::mutex mutex_;
  std::condition_variable held_changed_;
  std::map<std::string, UserState, std::less<>> users_;
  std::map<std::string, std::vector<HistoryRecord>, std::less<>> history_;
  std::map<std::uint64_t, OutboxEntry> outbox_;
  std::uint64_t next_sequence_ = 1;
  std::size_t commits_ = 0;
  bool unavailable_ = false;
  bool holding_ = false;
  std::size_t held_ = 0;  // commits waiting while holding_
};

}  // namespace primesync::testing
