#include "http/rate_limiter.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <mutex>
#include <string>
#include <unordered_map>

namespace primesync::http {

namespace {

// Shards of the per-user buckets: requests of different users rarely share a lock.
constexpr std::size_t kShards = 64;

class TokenBucket {
 public:
  TokenBucket(double rate, double burst, RateLimiter::Clock::time_point now)
      : tokens_(burst), updated_(now), rate_(rate), burst_(burst) {}

  // Takes a token, or says how long until one is back.
  std::optional<std::chrono::seconds> take(RateLimiter::Clock::time_point now) {
    const std::chrono::duration<double> elapsed = now - updated_;
    if (elapsed.count() > 0) {
      tokens_ = std::min(burst_, tokens_ + elapsed.count() * rate_);
      updated_ = now;
    }
    if (tokens_ >= 1) {
      tokens_ -= 1;
      return std::nullopt;
    }
    const double wait = (1 - tokens_) / rate_;
    return std::chrono::seconds(
        std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(wait))));
  }

  // Full again: nothing would be lost by forgetting it.
  [[nodiscard]] bool idle(RateLimiter::Clock::time_point now) const {
    const std::chrono::duration<double> elapsed = now - updated_;
    return tokens_ + elapsed.count() * rate_ >= burst_;
  }

 private:
  double tokens_;
  RateLimiter::Clock::time_point updated_;
  double rate_;
  double burst_;
};

// Looks users up by string_view, so admitting a known user allocates nothing.
struct UserIdHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view user_id) const noexcept {
    return std::hash<std::string_view>{}(user_id);
  }
};

struct UserShard {
  std::mutex mutex;
  std::unordered_map<std::string, TokenBucket, UserIdHash, std::equal_to<>> buckets;
};

}  // namespace

struct RateLimiter::Impl {
  explicit Impl(const LimitsConfig& limits) : limits(limits) {}

  LimitsConfig limits;
  std::array<UserShard, kShards> shards;
  std::mutex instance_mutex;
  std::optional<TokenBucket> instance;
  std::atomic<std::uint64_t> refused_user{0};
  std::atomic<std::uint64_t> refused_instance{0};
  std::atomic<std::uint64_t> users_tracked{0};

  [[nodiscard]] std::size_t users_per_shard() const {
    return std::max<std::size_t>(1, limits.rate_limited_users / kShards);
  }

  std::optional<std::chrono::seconds> admit_user(std::string_view user_id, Clock::time_point now) {
    UserShard& shard = shards[UserIdHash{}(user_id) % kShards];
    std::lock_guard lock(shard.mutex);
    auto found = shard.buckets.find(user_id);
    if (found == shard.buckets.end()) {
      if (shard.buckets.size() >= users_per_shard()) forget_idle(shard, now);
      found = shard.buckets
                  .emplace(std::string(user_id),
                           TokenBucket(limits.user_requests_per_second,
                                       static_cast<double>(limits.user_burst), now))
                  .first;
      users_tracked.fetch_add(1, std::memory_order_relaxed);
    }
    return found->second.take(now);
  }

  // Drops the buckets that refilled (their users are within their rate); if every
  // one is still draining, the shard starts afresh (an error towards admitting).
  void forget_idle(UserShard& shard, Clock::time_point now) {
    const std::size_t before = shard.buckets.size();
    std::erase_if(shard.buckets, [&](const auto& entry) { return entry.second.idle(now); });
    if (shard.buckets.size() >= users_per_shard()) shard.buckets.clear();
    users_tracked.fetch_sub(before - shard.buckets.size(), std::memory_order_relaxed);
  }
};

RateLimiter::RateLimiter(const LimitsConfig& limits) : impl_(std::make_unique<Impl>(limits)) {
  if (limits.instance_requests_per_second > 0) {
    impl_->instance.emplace(limits.instance_requests_per_second,
                            static_cast<double>(limits.instance_burst), Clock::now());
  }
}

RateLimiter::~RateLimiter() = default;

std::optional<std::chrono::seconds> RateLimiter::admit(std::string_view user_id,
                                                       Clock::time_point now) {
  Impl& limiter = *impl_;
  if (limiter.limits.user_requests_per_second > 0) {
    if (auto wait = limiter.admit_user(user_id, now)) {
      limiter.refused_user.fetch_add(1, std::memory_order_relaxed);
      return wait;
    }
  }
  if (limiter.instance) {
    std::lock_guard lock(limiter.instance_mutex);
    if (auto wait = limiter.instance->take(now)) {
      limiter.refused_instance.fetch_add(1, std::memory_order_relaxed);
      return wait;
    }
  }
  return std::nullopt;
}

RateLimiter::Stats RateLimiter::stats() const {
  return Stats{impl_->refused_user.load(), impl_->refused_instance.load(),
               impl_->users_tracked.load()};
}

}  // namespace primesync::http
