// The outbox sequences of the embedded store: handed out to commits, and the
// lowest one that may still become visible, so that reading the outbox seeks past
// the entries already removed instead of scanning their deletion markers (under
// live push thousands a second pile up in the memtable, and a scan from the first
// key walked all of them on every read). Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <set>

namespace primesync {

class OutboxSequences {
 public:
  // After recovery: `next` is one past the highest sequence ever committed.
  void start_at(std::uint64_t next);

  // Reserves `count` sequences for a commit about to write them; returns the first.
  // Every reservation must be followed by written(first), whether or not the write
  // succeeded (a failed one leaves a gap, never a sequence used twice).
  [[nodiscard]] std::uint64_t reserve(std::size_t count);
  void written(std::uint64_t first);

  // No entry below this is still on its way: every commit that reserved a lower
  // sequence has finished writing. An iterator created after this call sees every
  // entry below it that exists.
  [[nodiscard]] std::uint64_t lowest_in_flight() const;

 private:
  mutable std::mutex mutex_;
  std::uint64_t next_ = 1;
  std::multiset<std::uint64_t> writing_;  // first sequences of commits writing now
};

}  // namespace primesync
