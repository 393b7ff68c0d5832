#include "support/recording_notifier.hpp"

namespace primesync::testing {

void RecordingNotifier::deliver(std::span<const OutboxEntry> entries,
                                std::vector<bool>& delivered) {
  {
    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < entries.size(); ++i) {
      ++attempts_;
      if (fail_next_ > 0) {
        --fail_next_;
        continue;
      }
      if (!failing_user_.empty() && entries[i].user_id == failing_user_) continue;
      delivered[i] = true;
      delivered_.push_back(entries[i]);
    }
  }
  delivered_changed_.notify_all();
}

void RecordingNotifier::fail_next(std::size_t count) {
  std::lock_guard lock(mutex_);
  fail_next_ = count;
}

void RecordingNotifier::fail_user(std::string user_id) {
  std::lock_guard lock(mutex_);
  failing_user_ = std::move(user_id);
}

std::vector<OutboxEntry> RecordingNotifier::delivered() const {
  std::lock_guard lock(mutex_);
  return delivered_;
}

std::vector<std::uint64_t> RecordingNotifier::delivered_sequences() const {
  std::lock_guard lock(mutex_);
  std::vector<std::uint64_t> sequences;
  for (const OutboxEntry& entry : delivered_) sequences.push_back(entry.sequence);
  return sequences;
}

std::size_t RecordingNotifier::attempts() const {
  std::lock_guard lock(mutex_);
  return attempts_;
}

bool RecordingNotifier::wait_for_deliveries(std::size_t count,
                                            std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return delivered_changed_.wait_for(lock, timeout, [&] { return delivered_.size() >= count; });
}

}  // namespace primesync::testing
