// A Notifier for tests: records what it delivers and can be told to fail. It
// reports each entry's own outcome and does not enforce per-user order itself,
// so tests can check that the dispatcher does.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "primesync/notifier.hpp"

namespace primesync::testing {

class RecordingNotifier : public Notifier {
 public:
  explicit RecordingNotifier(std::string name = "recording") : name_(std::move(name)) {}

  [[nodiscard]] std::string_view name() const override { return name_; }
  void deliver(std::span<const OutboxEntry> entries, std::vector<bool>& delivered) override;

  // The next `count` entries handed over fail.
  void fail_next(std::size_t count);
  // Every entry of this user fails until cleared with an empty id.
  void fail_user(std::string user_id);

  [[nodiscard]] std::vector<OutboxEntry> delivered() const;
  [[nodiscard]] std::vector<std::uint64_t> delivered_sequences() const;
  [[nodiscard]] std::size_t attempts() const;  // entries handed over, failed or not
  // True once at least `count` entries were delivered within `timeout`.
  [[nodiscard]] bool wait_for_deliveries(std::size_t count,
                                         std::chrono::milliseconds timeout) const;

 private:
  std::string name_;
  mutable std::mutex mutex_;
  mutable std::condition_variable delivered_changed_;
  std::vector<OutboxEntry> delivered_;
  std::size_t attempts_ = 0;
  std::size_t fail_next_ = 0;
  std::string failing_user_;
};

}  // namespace primesync::testing
