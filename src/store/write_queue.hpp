// The adapter queue of DESIGN.md: operations enter a bounded queue sharded by
// user; each shard's worker thread takes what has accumulated, plans every
// operation against the user's latest state, commits all their writes as one
// batch (group commit: one synced WAL write for many requests) and then
// completes every waiting caller. One user's operations run in one shard, one
// after the other, so a check-and-increment of the nonce needs no lock.
//
// Across processes sharing one database that is not enough: every write set
// carries the revision it was planned against, and the store commits it only if
// that is still the stored one. On a conflict the worker drops the cached state,
// reloads the user from the store and plans the operation again (at most
// `queue.conflictRetries` times, then 50300). An answer that writes nothing is
// trusted only once the store confirms the revision it was planned against.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "cache/user_state_cache.hpp"
#include "primesync/config.hpp"
#include "primesync/error.hpp"
#include "primesync/store.hpp"

namespace primesync {

class WriteQueue {
 public:
  // Plans one operation: adds its writes to the write set, or fails. On failure
  // the writes it added before failing (the caller's housekeeping) still commit.
  using Plan = std::function<std::optional<Failure>(const UserState& state, WriteSet& writes)>;
  // The user's state once the operation's batch committed, or why it failed.
  using Done = std::function<void(Outcome<UserStatePtr> committed)>;
  // Called after each batch that queued notifications.
  using OnOutbox = std::function<void()>;

  WriteQueue(const QueueConfig& config, Store& store, UserStateCache& cache, OnOutbox on_outbox);
  ~WriteQueue();
  WriteQueue(const WriteQueue&) = delete;
  WriteQueue& operator=(const WriteQueue&) = delete;

  // Queues the operation; false (and `done` is not called) when the user's shard
  // is full or the queue is stopping.
  [[nodiscard]] bool submit(std::string user_id, Plan plan, Done done);

  // Finishes what is queued, then joins the workers. Later submits are refused.
  void stop();

  struct Stats {
    std::uint64_t depth = 0;
    std::uint64_t rejected = 0;
    std::uint64_t batches = 0;
    std::uint64_t batched_writes = 0;
    std::uint64_t failures = 0;
    std::uint64_t conflicts = 0;          // write sets the store refused: planned again
    std::uint64_t conflict_failures = 0;  // operations that ran out of attempts (50300)
  };
  [[nodiscard]] Stats stats() const;

 private:
  struct Job {
    std::string user_id;
    Plan plan;
    Done done;
  };
  struct Shard {
    std::mutex mutex;
    std::condition_variable wake;
    std::deque<Job> jobs;
    std::thread worker;
  };

  // One user's state while a batch is planned.
  struct Planned {
    UserStatePtr state;      // the newest state, with this round's planned writes
    bool confirmed = false;  // the state before this round's writes is the stored one
  };

  void run_shard(Shard& shard);
  void process(std::vector<Job>& jobs);
  // Plans and commits the jobs at `round`; returns those to plan again after a conflict.
  std::vector<std::size_t> plan_and_commit(std::vector<Job>& jobs,
                                           std::span<const std::size_t> round,
                                           std::unordered_map<std::string, Planned>& latest,
                                           std::vector<std::optional<Failure>>& outcomes,
                                           std::vector<UserStatePtr>& answered,
                                           std::vector<bool>& settled, bool& queued_notifications);
  // Completes every job: with its failure, or with the state its answer is based on.
  static void finish(std::vector<Job>& jobs, std::vector<std::optional<Failure>>& outcomes,
                     std::vector<UserStatePtr>& answered);

  QueueConfig config_;
  Store& store_;
  UserStateCache& cache_;
  OnOutbox on_outbox_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::uint64_t> depth_{0};
  std::atomic<std::uint64_t> rejected_{0};
  std::atomic<std::uint64_t> batches_{0};
  std::atomic<std::uint64_t> batched_writes_{0};
  std::atomic<std::uint64_t> failures_{0};
  std::atomic<std::uint64_t> conflicts_{0};
  std::atomic<std::uint64_t> conflict_failures_{0};
};

}  // namespace primesync
