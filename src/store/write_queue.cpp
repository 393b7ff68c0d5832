#include "store/write_queue.hpp"

#include <algorithm>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <unordered_map>

namespace primesync {

WriteQueue::WriteQueue(const QueueConfig& config, Store& store, UserStateCache& cache,
                       OnOutbox on_outbox)
    : config_(config), store_(store), cache_(cache), on_outbox_(std::move(on_outbox)) {
  const unsigned count =
      config.shards != 0 ? config.shards : std::max(1U, std::thread::hardware_concurrency());
  shards_.reserve(count);
  for (unsigned i = 0; i < count; ++i) shards_.push_back(std::make_unique<Shard>());
  for (auto& shard : shards_) {
    shard->worker = std::thread([this, raw = shard.get()] { run_shard(*raw); });
  }
}

WriteQueue::~WriteQueue() {
  stop();
}

bool WriteQueue::submit(std::string user_id, Plan plan, Done done) {
  Shard& shard = *shards_[std::hash<std::string>{}(user_id) % shards_.size()];
  {
    std::lock_guard lock(shard.mutex);
    if (stopping_.load() || shard.jobs.size() >= config_.capacity) {
      rejected_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    shard.jobs.push_back(Job{std::move(user_id), std::move(plan), std::move(done)});
  }
  depth_.fetch_add(1, std::memory_order_relaxed);
  shard.wake.notify_one();
  return true;
}

void WriteQueue::stop() {
  if (stopping_.exchange(true)) return;
  for (auto& shard : shards_) {
    { std::lock_guard lock(shard->mutex); }
    shard->wake.notify_one();
  }
  for (auto& shard : shards_) {
    if (shard->worker.joinable()) shard->worker.join();
  }
}

void WriteQueue::run_shard(Shard& shard) {
  std::vector<Job> jobs;
  for (;;) {
    {
      std::unique_lock lock(shard.mutex);
      shard.wake.wait(lock, [&] { return !shard.jobs.empty() || stopping_.load(); });
      if (shard.jobs.empty()) return;  // stopping and drained
      if (config_.linger.count() > 0 && shard.jobs.size() < config_.max_batch) {
        // Let concurrent requests join this batch and share its sync.
        shard.wake.wait_for(lock, config_.linger,
                            [&] { return shard.jobs.size() >= config_.max_batch; });
      }
      const std::size_t take = std::min(shard.jobs.size(), config_.max_batch);
      for (std::size_t i = 0; i < take; ++i) {
        jobs.push_back(std::move(shard.jobs.front()));
        shard.jobs.pop_front();
      }
    }
    depth_.fetch_sub(jobs.size(), std::memory_order_relaxed);
    process(jobs);
    jobs.clear();
  }
}

namespace {

constexpr std::size_t kNoWriteSet = std::numeric_limits<std::size_t>::max();

// The write set's precondition: the revision of the state it was planned on. The
// user record always travels with it, carrying the next revision.
void stamp_revision(const UserState& state, WriteSet& writes) {
  writes.expected_revision = state.user.revision;
  if (!writes.user) writes.user = state.user;
  writes.user->user_id = writes.user_id;
  writes.user->revision = state.user.revision + 1;
}

}  // namespace

void WriteQueue::process(std::vector<Job>& jobs) {
  std::unordered_map<std::string, Planned> latest;
  std::vector<std::optional<Failure>> outcomes(jobs.size());
  // The state each job's answer is based on: its own writes applied, committed.
  std::vector<UserStatePtr> answered(jobs.size());
  // Jobs whose answer stands: committed, or confirmed (kept even if a later round fails).
  std::vector<bool> settled(jobs.size(), false);
  std::vector<std::size_t> round(jobs.size());
  std::iota(round.begin(), round.end(), std::size_t{0});
  bool queued_notifications = false;
  try {
    for (std::size_t attempt = 0; !round.empty(); ++attempt) {
      if (attempt > config_.conflict_retries) {
        for (const std::size_t index : round) {
          outcomes[index] = fail(Error::unavailable,
                                 "the user's data kept changing under concurrent writes; retry");
          latest.erase(jobs[index].user_id);
          cache_.erase(jobs[index].user_id);
        }
        conflict_failures_.fetch_add(round.size(), std::memory_order_relaxed);
        break;
      }
      round =
          plan_and_commit(jobs, round, latest, outcomes, answered, settled, queued_notifications);
    }
  } catch (const StoreUnavailable& error) {
    // What committed before the failure stands; the rest is not acknowledged.
    failures_.fetch_add(1, std::memory_order_relaxed);
    for (auto& [user_id, planned] : latest) cache_.erase(user_id);
    if (queued_notifications && on_outbox_) on_outbox_();
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      if (!settled[i]) outcomes[i] = fail(Error::unavailable, error.what());
    }
    finish(jobs, outcomes, answered);
    return;
  }

  for (auto& [user_id, planned] : latest) {
    // Only a deletion leaves a user not stored (every other write stores the
    // record): a deleted user is dropped, not cached as empty.
    if (planned.state->exists) {
      cache_.put(user_id, planned.state);
    } else {
      cache_.erase(user_id);
    }
  }
  if (queued_notifications && on_outbox_) on_outbox_();
  finish(jobs, outcomes, answered);
}

void WriteQueue::finish(std::vector<Job>& jobs, std::vector<std::optional<Failure>>& outcomes,
                        std::vector<UserStatePtr>& answered) {
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    if (outcomes[i]) {
      jobs[i].done(*std::move(outcomes[i]));
    } else {
      jobs[i].done(std::move(answered[i]));
    }
  }
}

std::vector<std::size_t> WriteQueue::plan_and_commit(
    std::vector<Job>& jobs, std::span<const std::size_t> round,
    std::unordered_map<std::string, Planned>& latest, std::vector<std::optional<Failure>>& outcomes,
    std::vector<UserStatePtr>& answered, std::vector<bool>& settled, bool& queued_notifications) {
  // One planned job: its write set in `batch` (or none), and the write set that
  // produced the state it was planned on (none: the state from before this round).
  struct Step {
    std::size_t job;
    std::size_t write_set;
    std::size_t based_on;
  };
  std::vector<WriteSet> batch;
  std::vector<Step> steps;
  steps.reserve(round.size());
  std::unordered_map<std::string_view, std::size_t> first_write_set;
  std::unordered_map<std::string_view, std::size_t> last_write_set;

  for (const std::size_t index : round) {
    Job& job = jobs[index];
    auto [slot, inserted] = latest.try_emplace(job.user_id);
    if (inserted) {
      if (UserStatePtr cached = cache_.get(job.user_id)) {
        slot->second = Planned{std::move(cached), false};
      } else {
        try {
          slot->second =
              Planned{std::make_shared<const UserState>(store_.load_user(job.user_id)), true};
        } catch (const StoreUnavailable& error) {
          outcomes[index] = fail(Error::unavailable, error.what());
          latest.erase(slot);
          continue;
        }
      }
    }
    Planned& planned = slot->second;
    const auto previous = last_write_set.find(job.user_id);
    const std::size_t based_on = previous == last_write_set.end() ? kNoWriteSet : previous->second;

    WriteSet writes;
    writes.user_id = job.user_id;
    outcomes[index] = job.plan(*planned.state, writes);
    std::size_t write_set = kNoWriteSet;
    if (!writes.empty()) {
      stamp_revision(*planned.state, writes);
      planned.state = std::make_shared<UserState>(applied_write_set(*planned.state, writes));
      write_set = batch.size();
      batch.push_back(std::move(writes));
      first_write_set.try_emplace(job.user_id, write_set);
      last_write_set[job.user_id] = write_set;
    }
    answered[index] = planned.state;
    steps.push_back(Step{index, write_set, based_on});
  }

  std::vector<CommitStatus> statuses;
  if (!batch.empty()) {
    statuses = store_.commit(batch);
    if (statuses.size() != batch.size()) {
      throw std::logic_error("store: commit() returned a status count unlike the batch's");
    }
    batches_.fetch_add(1, std::memory_order_relaxed);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (statuses[i] == CommitStatus::committed) {
        batched_writes_.fetch_add(1, std::memory_order_relaxed);
        queued_notifications = queued_notifications || !batch[i].outbox.empty();
      } else {
        conflicts_.fetch_add(1, std::memory_order_relaxed);
      }
    }
  }
  const auto committed = [&](std::size_t write_set) {
    return statuses[write_set] == CommitStatus::committed;
  };
  for (const Step& step : steps) {
    if (step.write_set != kNoWriteSet && committed(step.write_set)) settled[step.job] = true;
  }

  // A job stands when the store took its write set, or, for one that wrote
  // nothing, when the state it was planned on is confirmed as the stored one.
  std::unordered_map<std::string_view, bool> revision_confirmed;
  std::unordered_map<std::string_view, bool> stale;
  std::vector<std::size_t> again;
  for (const Step& step : steps) {
    const std::string& user_id = jobs[step.job].user_id;
    bool stands = false;
    if (step.write_set != kNoWriteSet) {
      stands = committed(step.write_set);
    } else if (step.based_on != kNoWriteSet) {
      stands = committed(step.based_on);
    } else if (latest.at(user_id).confirmed) {
      stands = true;
    } else if (const auto first = first_write_set.find(user_id); first != first_write_set.end()) {
      stands = committed(first->second);  // its compare-and-set checked the same revision
    } else {
      auto [known, inserted] = revision_confirmed.try_emplace(user_id);
      if (inserted) {
        known->second = store_.load_revision(user_id) == answered[step.job]->user.revision;
      }
      stands = known->second;
    }
    stale.try_emplace(user_id, false).first->second |= !stands;
    settled[step.job] = stands;
    if (!stands) {
      outcomes[step.job].reset();
      answered[step.job].reset();
      again.push_back(step.job);
    }
  }
  for (const auto& [user_id, is_stale] : stale) {
    if (!is_stale) {
      latest.at(std::string(user_id)).confirmed = true;
      continue;
    }
    // Planned on a state another instance has overtaken: start again from the store.
    const std::string user(user_id);
    latest.erase(user);
    cache_.erase(user);
  }
  return again;
}

WriteQueue::Stats WriteQueue::stats() const {
  return Stats{
      depth_.load(),    rejected_.load(),  batches_.load(),          batched_writes_.load(),
      failures_.load(), conflicts_.load(), conflict_failures_.load()};
}

}  // namespace primesync
