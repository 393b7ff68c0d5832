// Injected time and randomness for tests: a clock that moves only when told,
// and ids that count up.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "primesync/model.hpp"

namespace primesync::testing {

// Wall-clock milliseconds, settable. `function()` shares the state, so the
// returned callable stays valid after copies of the clock go.
class FixedClock {
 public:
  explicit FixedClock(Millis start = 1'700'000'000'000)
      : now_(std::make_shared<std::atomic<Millis>>(start)) {}

  [[nodiscard]] Millis now() const { return now_->load(); }
  void set(Millis now) { now_->store(now); }
  void advance(std::chrono::milliseconds by) { now_->fetch_add(by.count()); }
  [[nodiscard]] std::function<Millis()> function() const {
    return [now = now_] { return now->load(); };
  }

 private:
  std::shared_ptr<std::atomic<Millis>> now_;
};

// A steady clock for the cache, settable the same way.
class ManualSteadyClock {
 public:
  using time_point = std::chrono::steady_clock::time_point;

  ManualSteadyClock() : now_(std::make_shared<std::atomic<time_point>>(time_point{})) {}

  void advance(std::chrono::nanoseconds by) { now_->store(now_->load() + by); }
  [[nodiscard]] std::function<time_point()> function() const {
    return [now = now_] { return now->load(); };
  }

 private:
  std::shared_ptr<std::atomic<time_point>> now_;
};

// random_hex stand-in: `bytes * 2` hex digits of an increasing counter, so ids are
// distinct, predictable and exactly as long as the real ones.
class SequentialHex {
 public:
  [[nodiscard]] std::function<std::string(std::size_t)> function() const {
    return [counter = counter_](std::size_t bytes) {
      static constexpr char digits[] = "0123456789abcdef";
      std::uint64_t value = counter->fetch_add(1) + 1;
      std::string hex(bytes * 2, '0');
      for (auto it = hex.rbegin(); it != hex.rend() && value != 0; ++it, value >>= 4U) {
        *it = digits[value & 0x0FU];
      }
      return hex;
    };
  }

 private:
  std::shared_ptr<std::atomic<std::uint64_t>> counter_ =
      std::make_shared<std::atomic<std::uint64_t>>(0);
};

}  // namespace primesync::testing
