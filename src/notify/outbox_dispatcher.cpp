#include "notify/outbox_dispatcher.hpp"

#include <algorithm>
#include <stdexcept>
#include <unordered_set>

#include "primesync/error.hpp"

namespace primesync {
namespace {

constexpr std::size_t max_notifiers = 64;  // one bit each in delivered_to_
constexpr std::chrono::seconds idle_poll{1};

}  // namespace

OutboxDispatcher::OutboxDispatcher(const OutboxConfig& config, Store& store,
                                   std::vector<Notifier*> notifiers, std::function<Millis()> now)
    : config_(config), store_(store), notifiers_(std::move(notifiers)), now_(std::move(now)) {
  if (notifiers_.size() > max_notifiers) throw std::invalid_argument("too many notifiers");
}

OutboxDispatcher::~OutboxDispatcher() {
  stop(std::chrono::milliseconds{0});
}

void OutboxDispatcher::start() {
  // Even with no notifier, the thread empties the outbox (delivered to nobody).
  if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
}

void OutboxDispatcher::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  wake_.notify_one();
}

void OutboxDispatcher::stop(std::chrono::milliseconds grace) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
    stop_deadline_ = std::chrono::steady_clock::now() + grace;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

bool OutboxDispatcher::dispatch_once() {
  const std::uint64_t everyone = notifiers_.size() == max_notifiers
                                     ? ~std::uint64_t{0}
                                     : (std::uint64_t{1} << notifiers_.size()) - 1;
  std::vector<OutboxEntry> entries = store_.read_outbox(config_.batch);
  more_waiting_ = entries.size() == config_.batch;
  if (entries.empty()) return true;

  // Give up on entries that are too old, so one user's stuck message cannot hold
  // back that user's later ones forever.
  const Millis oldest_kept =
      now_() - std::chrono::duration_cast<std::chrono::milliseconds>(config_.max_age).count();
  std::vector<std::uint64_t> finished;
  std::erase_if(entries, [&](const OutboxEntry& entry) {
    if (entry.created_at >= oldest_kept) return false;
    finished.push_back(entry.sequence);
    delivered_to_.erase(entry.sequence);
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return true;
  });

  bool all_delivered = true;
  for (std::size_t n = 0; n < notifiers_.size(); ++n) {
    const std::uint64_t bit = std::uint64_t{1} << n;
    std::vector<OutboxEntry> batch;
    std::unordered_set<std::string_view> waiting_users;  // an earlier entry is undelivered
    for (const OutboxEntry& entry : entries) {
      if ((delivered_to_[entry.sequence] & bit) != 0) continue;
      batch.push_back(entry);
    }
    if (batch.empty()) continue;
    std::vector<bool> delivered(batch.size(), false);
    notifiers_[n]->deliver(batch, delivered);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      // A later entry of a user whose earlier one failed does not count as
      // delivered, even if the notifier sent it: order per user comes first.
      if (delivered[i] && !waiting_users.contains(batch[i].user_id)) {
        delivered_to_[batch[i].sequence] |= bit;
      } else {
        waiting_users.insert(batch[i].user_id);
        failures_.fetch_add(1, std::memory_order_relaxed);
        all_delivered = false;
      }
    }
  }

  for (const OutboxEntry& entry : entries) {
    if (delivered_to_[entry.sequence] == everyone) {
      finished.push_back(entry.sequence);
      delivered_to_.erase(entry.sequence);
      delivered_.fetch_add(1, std::memory_order_relaxed);
    }
  }
  if (!finished.empty()) store_.remove_outbox(finished);
  pending_.store(delivered_to_.size(), std::memory_order_relaxed);
  return all_delivered;
}

void OutboxDispatcher::run() {
  auto backoff = config_.retry_initial;
  for (;;) {
    bool delivered = false;
    try {
      delivered = dispatch_once();
    } catch (const StoreUnavailable&) {
      failures_.fetch_add(1, std::memory_order_relaxed);
    }
    std::unique_lock lock(mutex_);
    if (stopping_ && (delivered || std::chrono::steady_clock::now() >= stop_deadline_)) return;
    if (delivered) {
      backoff = config_.retry_initial;
      if (more_waiting_) continue;
      wake_.wait_for(lock, idle_poll, [&] { return woken_ || stopping_; });
    } else {
      wake_.wait_for(lock, backoff, [&] { return stopping_; });
      backoff = std::min(backoff * 2, config_.retry_max);
    }
    woken_ = false;
  }
}

OutboxDispatcher::Stats OutboxDispatcher::stats() const {
  return Stats{delivered_.load(), failures_.load(), dropped_.load(), pending_.load()};
}

}  // namespace primesync
