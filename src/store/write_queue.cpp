#include "store/write_queue.hpp"

#include <algorithm>
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

void WriteQueue::process(std::vector<Job>& jobs) {
  // The newest state of each user this batch touches, including uncommitted writes.
  std::unordered_map<std::string, UserStatePtr> latest;
  std::vector<WriteSet> batch;
  std::vector<std::optional<Failure>> outcomes(jobs.size());

  for (std::size_t i = 0; i < jobs.size(); ++i) {
    Job& job = jobs[i];
    auto [slot, inserted] = latest.try_emplace(job.user_id);
    if (inserted) {
      slot->second = cache_.get(job.user_id);
      if (!slot->second) {
        try {
          slot->second = std::make_shared<const UserState>(store_.load_user(job.user_id));
        } catch (const StoreUnavailable& error) {
          outcomes[i] = fail(Error::unavailable, error.what());
          latest.erase(slot);
          continue;
        }
      }
    }
    WriteSet writes;
    writes.user_id = job.user_id;
    outcomes[i] = job.plan(*slot->second, writes);
    if (!writes.empty()) {
      auto next = std::make_shared<UserState>(*slot->second);
      apply_write_set(*next, writes);
      slot->second = std::move(next);
      batch.push_back(std::move(writes));
    }
  }

  if (!batch.empty()) {
    try {
      store_.commit(batch);
      batches_.fetch_add(1, std::memory_order_relaxed);
      batched_writes_.fetch_add(batch.size(), std::memory_order_relaxed);
    } catch (const StoreUnavailable& error) {
      failures_.fetch_add(1, std::memory_order_relaxed);
      for (auto& [user_id, state] : latest) cache_.erase(user_id);
      for (auto& job : jobs) job.done(fail(Error::unavailable, error.what()));
      return;
    }
  }
  for (auto& [user_id, state] : latest) cache_.put(user_id, state);
  const bool queued_notifications = std::any_of(
      batch.begin(), batch.end(), [](const WriteSet& writes) { return !writes.outbox.empty(); });
  if (queued_notifications && on_outbox_) on_outbox_();

  for (std::size_t i = 0; i < jobs.size(); ++i) {
    if (outcomes[i]) {
      jobs[i].done(*std::move(outcomes[i]));
    } else {
      // Every job of a user sees the state after the whole batch: it committed together.
      jobs[i].done(latest.at(jobs[i].user_id));
    }
  }
}

WriteQueue::Stats WriteQueue::stats() const {
  return Stats{depth_.load(), rejected_.load(), batches_.load(), batched_writes_.load(),
               failures_.load()};
}

}  // namespace primesync
