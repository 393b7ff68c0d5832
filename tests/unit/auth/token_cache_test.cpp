#include "auth/token_cache.hpp"

#include <gtest/gtest.h>

namespace primesync::auth {
namespace {

constexpr Millis now_ms = 1'700'000'000'000;
constexpr std::int64_t now_s = now_ms / 1000;
constexpr std::chrono::seconds leeway{60};

TEST(TokenCacheTest, RemembersVerifiedClaims) {
  TokenCache cache(16);
  EXPECT_FALSE(cache.find("t1", leeway, now_ms));
  cache.remember("t1", TokenClaims{"alice", true, now_s + 3600});
  const auto found = cache.find("t1", leeway, now_ms);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->subject, "alice");
  EXPECT_EQ(found->prime, std::optional<bool>(true));
  EXPECT_FALSE(cache.find("t2", leeway, now_ms));
}

TEST(TokenCacheTest, ForgetsATokenOnceExpiredBeyondTheLeeway) {
  TokenCache cache(16);
  cache.remember("t1", TokenClaims{"alice", std::nullopt, now_s});
  EXPECT_TRUE(cache.find("t1", leeway, now_ms + 59'000));
  EXPECT_FALSE(cache.find("t1", leeway, now_ms + 61'000));
  EXPECT_FALSE(cache.find("t1", leeway, now_ms));  // erased, not merely hidden
}

TEST(TokenCacheTest, ZeroEntriesTurnsItOff) {
  TokenCache cache(0);
  cache.remember("t1", TokenClaims{"alice", std::nullopt, now_s + 3600});
  EXPECT_FALSE(cache.find("t1", leeway, now_ms));
}

TEST(TokenCacheTest, StaysBoundedUnderManyTokens) {
  TokenCache cache(32);
  for (int i = 0; i < 10'000; ++i) {
    cache.remember("token-" + std::to_string(i), TokenClaims{"u", std::nullopt, now_s + 60});
  }
  int remembered = 0;
  for (int i = 0; i < 10'000; ++i) {
    if (cache.find("token-" + std::to_string(i), leeway, now_ms)) ++remembered;
  }
  EXPECT_GT(remembered, 0);
  EXPECT_LE(remembered, 32);
}

}  // namespace
}  // namespace primesync::auth
