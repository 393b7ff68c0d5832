// The token buckets of RateLimiter, driven by an injected clock.
#include "http/rate_limiter.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace primesync::http {
namespace {

using namespace std::chrono_literals;
using Clock = RateLimiter::Clock;

LimitsConfig limits(std::size_t user_rate, std::size_t user_burst, std::size_t instance_rate = 0,
                    std::size_t instance_burst = 1) {
  LimitsConfig config;
  config.user_requests_per_second = user_rate;
  config.user_burst = user_burst;
  config.instance_requests_per_second = instance_rate;
  config.instance_burst = instance_burst;
  return config;
}

TEST(RateLimiterTest, AUserGetsItsBurstThenWaitsForTheRate) {
  RateLimiter limiter(limits(2, 3));
  const auto start = Clock::now();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limiter.admit("u", start), std::nullopt) << i;
  const auto refused = limiter.admit("u", start);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(*refused, 1s);  // half a second to the next token, rounded up
  EXPECT_EQ(limiter.admit("u", start + 499ms).has_value(), true);
  EXPECT_EQ(limiter.admit("u", start + 500ms), std::nullopt);
  EXPECT_EQ(limiter.stats().refused_user, 2U);
}

TEST(RateLimiterTest, RetryAfterCoversTheWholeWait) {
  RateLimiter limiter(limits(1, 1));
  const auto start = Clock::now();
  EXPECT_EQ(limiter.admit("u", start), std::nullopt);
  EXPECT_EQ(limiter.admit("u", start), std::optional(1s));
  RateLimiter slow(limits(1, 1));
  EXPECT_EQ(slow.admit("u", start), std::nullopt);
  EXPECT_EQ(slow.admit("u", start + 100ms), std::optional(1s));  // 0.9 s, rounded up
}

TEST(RateLimiterTest, OneUserCannotStarveAnother) {
  RateLimiter limiter(limits(1, 2));
  const auto now = Clock::now();
  for (int i = 0; i < 100; ++i) (void)limiter.admit("greedy", now);
  EXPECT_EQ(limiter.admit("patient", now), std::nullopt);
  EXPECT_EQ(limiter.admit("patient", now), std::nullopt);
  EXPECT_EQ(limiter.stats().refused_user, 98U);
}

TEST(RateLimiterTest, TheInstanceBucketCapsEveryoneTogether) {
  RateLimiter limiter(limits(0, 1, 10, 4));
  const auto now = Clock::now();
  for (int i = 0; i < 4; ++i) EXPECT_EQ(limiter.admit("u" + std::to_string(i), now), std::nullopt);
  EXPECT_TRUE(limiter.admit("another", now).has_value());
  EXPECT_EQ(limiter.admit("another", now + 100ms), std::nullopt);  // one token per 100 ms
  EXPECT_EQ(limiter.stats().refused_instance, 1U);
}

TEST(RateLimiterTest, RatesOfZeroAdmitEverything) {
  RateLimiter limiter(limits(0, 1, 0, 1));
  const auto now = Clock::now();
  for (int i = 0; i < 10000; ++i) ASSERT_EQ(limiter.admit("u", now), std::nullopt);
  EXPECT_EQ(limiter.stats().users_tracked, 0U);
}

TEST(RateLimiterTest, TrackedUsersStayWithinTheBound) {
  LimitsConfig config = limits(1, 1);
  config.rate_limited_users = 128;
  RateLimiter limiter(config);
  const auto now = Clock::now();
  for (int i = 0; i < 100000; ++i) (void)limiter.admit("user-" + std::to_string(i), now);
  EXPECT_LE(limiter.stats().users_tracked, 128U);
  // A user whose bucket refilled is forgotten first; one still draining is kept
  // until its shard overflows with draining users too.
  EXPECT_GT(limiter.stats().users_tracked, 0U);
}

}  // namespace
}  // namespace primesync::http
