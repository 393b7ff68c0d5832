// The read-through LRU of user states: hits and misses, TTL, the byte bound, the
// prefix, the switch, and concurrent use.
#include "cache/user_state_cache.hpp"

#include <gtest/gtest.h>

#include <latch>
#include <thread>

#include "support/builders.hpp"
#include "support/clock.hpp"

namespace primesync {
namespace {

using namespace std::chrono_literals;
using testing::make_item;
using testing::UserStateBuilder;

constexpr std::size_t shard_count = 16;  // the cache's fixed sharding

UserStatePtr state_of(const std::string& user_id, std::size_t data_bytes = 10) {
  return UserStateBuilder(user_id)
      .item(make_item("k", 1, "Wallet", std::string(data_bytes, 'x')))
      .shared();
}

CacheConfig cache_config(std::size_t max_bytes = 1U << 24U, std::chrono::seconds ttl = 60s) {
  CacheConfig config;
  config.max_bytes = max_bytes;
  config.ttl = ttl;
  return config;
}

TEST(UserStateCacheTest, MissThenHit) {
  UserStateCache cache(cache_config());
  EXPECT_EQ(cache.get("u1"), nullptr);
  const UserStatePtr state = state_of("u1");
  cache.put("u1", state);
  EXPECT_EQ(cache.get("u1"), state) << "the same immutable snapshot, not a copy";
  EXPECT_EQ(cache.get("u2"), nullptr);

  const auto stats = cache.stats();
  EXPECT_EQ(stats.hits, 1U);
  EXPECT_EQ(stats.misses, 2U);
  EXPECT_EQ(stats.entries, 1U);
  EXPECT_EQ(stats.bytes, approximate_state_bytes(*state) + std::string("primesync:u1").size());
}

TEST(UserStateCacheTest, PutReplacesTheUsersState) {
  UserStateCache cache(cache_config());
  cache.put("u1", state_of("u1", 10));
  const UserStatePtr newer = state_of("u1", 20);
  cache.put("u1", newer);
  EXPECT_EQ(cache.get("u1"), newer);
  EXPECT_EQ(cache.stats().entries, 1U);
}

TEST(UserStateCacheTest, EraseForgetsTheUser) {
  UserStateCache cache(cache_config());
  cache.put("u1", state_of("u1"));
  cache.erase("u1");
  EXPECT_EQ(cache.get("u1"), nullptr);
  EXPECT_EQ(cache.stats().bytes, 0U);
}

TEST(UserStateCacheTest, EntriesExpireAfterTheTtl) {
  testing::ManualSteadyClock clock;
  UserStateCache cache(cache_config(1U << 24U, 60s), clock.function());
  cache.put("u1", state_of("u1"));
  clock.advance(59s);
  EXPECT_NE(cache.get("u1"), nullptr);
  clock.advance(1s);
  EXPECT_EQ(cache.get("u1"), nullptr) << "expired at exactly the TTL";
  EXPECT_EQ(cache.stats().entries, 0U) << "an expired entry is removed";
}

TEST(UserStateCacheTest, ReadingDoesNotExtendTheTtl) {
  testing::ManualSteadyClock clock;
  UserStateCache cache(cache_config(1U << 24U, 10s), clock.function());
  cache.put("u1", state_of("u1"));
  for (int i = 0; i < 9; ++i) {
    clock.advance(1s);
    ASSERT_NE(cache.get("u1"), nullptr);
  }
  clock.advance(1s);
  EXPECT_EQ(cache.get("u1"), nullptr);
}

// Users landing in one shard, found through the cache's own accounting: a put
// that does not fit the shard's share evicts from that shard only.
class UserStateCacheEvictionTest : public ::testing::Test {
 protected:
  static constexpr std::size_t data_bytes = 1000;
  // Each entry costs about 1.7 KB; a shard's share holds three of them.
  const std::size_t entry_bytes = approximate_state_bytes(*state_of("user-0000", data_bytes)) +
                                  std::string("primesync:user-0000").size();
  const std::size_t max_bytes = shard_count * (3 * entry_bytes + entry_bytes / 2);
};

TEST_F(UserStateCacheEvictionTest, LeastRecentlyUsedGoesFirstUnderTheByteBound) {
  // Find users sharing a shard with the first: in a cache with room for one
  // entry per shard, a user of the same shard displaces it.
  auto user = [](int i) { return "user-" + std::to_string(10000 + i).substr(1); };
  UserStateCache probe(cache_config(shard_count * (entry_bytes + entry_bytes / 2)));
  std::vector<std::string> same_shard = {user(0)};
  probe.put(user(0), state_of(user(0), data_bytes));
  for (int i = 1; same_shard.size() < 5 && i < 1000; ++i) {
    probe.put(user(i), state_of(user(i), data_bytes));
    if (probe.get(user(0)) == nullptr) {
      same_shard.push_back(user(i));
      probe.put(user(0), state_of(user(0), data_bytes));
    }
    probe.erase(user(i));
  }
  ASSERT_EQ(same_shard.size(), 5U) << "could not find five users of one shard";

  UserStateCache cache(cache_config(max_bytes));
  for (int i = 0; i < 3; ++i) cache.put(same_shard[i], state_of(same_shard[i], data_bytes));
  ASSERT_NE(cache.get(same_shard[0]), nullptr);  // now the most recently used
  cache.put(same_shard[3], state_of(same_shard[3], data_bytes));

  EXPECT_EQ(cache.stats().evictions, 1U);
  EXPECT_EQ(cache.get(same_shard[1]), nullptr) << "the least recently used went";
  EXPECT_NE(cache.get(same_shard[0]), nullptr);
  EXPECT_NE(cache.get(same_shard[2]), nullptr);
  EXPECT_NE(cache.get(same_shard[3]), nullptr);
  EXPECT_LE(cache.stats().bytes, max_bytes);
}

TEST_F(UserStateCacheEvictionTest, TotalBytesStayWithinTheBound) {
  UserStateCache cache(cache_config(max_bytes));
  for (int i = 0; i < 500; ++i) {
    const std::string id = "user-" + std::to_string(i);
    cache.put(id, state_of(id, data_bytes));
    ASSERT_LE(cache.stats().bytes, max_bytes);
  }
  EXPECT_GT(cache.stats().evictions, 0U);
  EXPECT_LT(cache.stats().entries, 500U);
}

TEST(UserStateCacheTest, StateLargerThanAShardsShareIsNotKept) {
  const std::size_t max_bytes = shard_count * 4096;
  UserStateCache cache(cache_config(max_bytes));
  cache.put("small", state_of("small", 10));
  cache.put("big", state_of("big", 8192));
  EXPECT_EQ(cache.get("big"), nullptr);
  EXPECT_NE(cache.get("small"), nullptr);
  EXPECT_EQ(cache.stats().evictions, 0U) << "nothing was evicted to make room for it";
}

TEST(UserStateCacheTest, TooLargeReplacementDropsTheOldEntry) {
  UserStateCache cache(cache_config(shard_count * 4096));
  cache.put("u1", state_of("u1", 10));
  cache.put("u1", state_of("u1", 8192));
  EXPECT_EQ(cache.get("u1"), nullptr) << "a stale state must not stay behind";
}

TEST(UserStateCacheTest, DisabledAlwaysMisses) {
  CacheConfig config = cache_config();
  config.enabled = false;
  UserStateCache cache(config);
  cache.put("u1", state_of("u1"));
  EXPECT_EQ(cache.get("u1"), nullptr);
  EXPECT_EQ(cache.stats().entries, 0U);
  EXPECT_EQ(cache.stats().hits, 0U);
}

TEST(UserStateCacheTest, PrefixIsPartOfTheKey) {
  // The prefix is counted in each entry's size, the only place the key shows.
  CacheConfig short_prefix = cache_config();
  short_prefix.prefix = "";
  CacheConfig long_prefix = cache_config();
  long_prefix.prefix = "tenant-one:primesync:";
  UserStateCache plain(short_prefix);
  UserStateCache prefixed(long_prefix);
  const UserStatePtr state = state_of("u1");
  plain.put("u1", state);
  prefixed.put("u1", state);
  EXPECT_EQ(prefixed.stats().bytes - plain.stats().bytes, long_prefix.prefix.size());
  EXPECT_EQ(prefixed.get("u1"), state);
}

TEST(UserStateCacheTest, ConcurrentGetAndPutAreSafe) {
  UserStateCache cache(cache_config(shard_count * 64 * 1024));
  constexpr int threads = 8;
  constexpr int rounds = 2000;
  std::latch start(threads);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      start.arrive_and_wait();
      for (int i = 0; i < rounds; ++i) {
        const std::string id = "user-" + std::to_string((i * 7 + t) % 50);
        if (i % 3 == 0) {
          cache.put(id, state_of(id, 100 + i % 400));
        } else if (UserStatePtr state = cache.get(id)) {
          ASSERT_EQ(state->user.user_id, id);  // never another user's state
        }
        if (i % 97 == 0) cache.erase(id);
      }
    });
  }
  for (auto& worker : workers) worker.join();
  const auto stats = cache.stats();
  const std::uint64_t gets_per_thread = rounds - (rounds + 2) / 3;  // every i % 3 != 0
  EXPECT_EQ(stats.hits + stats.misses, threads * gets_per_thread);
  EXPECT_LE(stats.entries, 50U);
}

}  // namespace
}  // namespace primesync
