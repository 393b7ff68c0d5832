// Admission by token buckets: one per user and one for the whole instance
// (limits.user* and limits.instance*). A user who sends too much is answered 42900
// with the seconds until a token is back, and cannot starve the other users;
// the instance bucket caps what the server takes in at all. A rate of 0 turns a
// bucket off. Thread-safe; the per-user buckets live in shards, each bounded.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "primesync/config.hpp"

namespace primesync::http {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  explicit RateLimiter(const LimitsConfig& limits);
  ~RateLimiter();
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // Takes a token for one request of `user_id`: nullopt when admitted, else how
  // long until the refused bucket has a token again (for Retry-After).
  [[nodiscard]] std::optional<std::chrono::seconds> admit(std::string_view user_id,
                                                          Clock::time_point now = Clock::now());

  struct Stats {
    std::uint64_t refused_user = 0;      // 42900: the user's bucket was empty
    std::uint64_t refused_instance = 0;  // 42900: the instance's bucket was empty
    std::uint64_t users_tracked = 0;     // buckets held now
  };
  [[nodiscard]] Stats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace primesync::http
