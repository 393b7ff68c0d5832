#include "store/rocksdb/outbox_sequences.hpp"

namespace primesync {

void OutboxSequences::start_at(std::uint64_t next) {
  std::lock_guard lock(mutex_);
  next_ = next;
}

std::uint64_t OutboxSequences::reserve(std::size_t count) {
  std::lock_guard lock(mutex_);
  const std::uint64_t first = next_;
  next_ += count;
  writing_.insert(first);
  return first;
}

void OutboxSequences::written(std::uint64_t first) {
  std::lock_guard lock(mutex_);
  if (const auto it = writing_.find(first); it != writing_.end()) writing_.erase(it);
}

std::uint64_t OutboxSequences::lowest_in_flight() const {
  std::lock_guard lock(mutex_);
  return writing_.empty() ? next_ : *writing_.begin();
}

}  // namespace primesync
