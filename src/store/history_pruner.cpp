#include "store/history_pruner.hpp"

#include <algorithm>

#include "primesync/error.hpp"

namespace primesync {
namespace {

// Pruning ten times per retention period keeps history within 110 % of it.
constexpr int passes_per_retention = 10;
constexpr std::chrono::seconds shortest_interval{60};

}  // namespace

HistoryPruner::HistoryPruner(Store& store, std::chrono::seconds retention,
                             std::function<Millis()> now)
    : store_(store), retention_(retention), now_(std::move(now)), thread_([this] { run(); }) {}

HistoryPruner::~HistoryPruner() {
  stop();
}

void HistoryPruner::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void HistoryPruner::run() {
  const auto interval = std::max(shortest_interval, retention_ / passes_per_retention);
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, interval, [this] { return stopping_; })) {
    lock.unlock();
    try {
      store_.prune_history(
          now_() - std::chrono::duration_cast<std::chrono::milliseconds>(retention_).count());
    } catch (const StoreUnavailable&) {
      // The next pass tries again; a store that stays down shows in /readyz.
    }
    lock.lock();
  }
}

}  // namespace primesync
