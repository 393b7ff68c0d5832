// A read-through LRU of per-user state (sync.enableCache, sync.cachePrefix,
// sync.cacheTTL, sync.cacheMaxBytes). Entries are immutable snapshots, so a
// reader holds one without a lock while writers replace it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "primesync/config.hpp"
#include "primesync/model.hpp"

namespace primesync {

// Bytes a state holds, as the cache counts them.
[[nodiscard]] std::size_t approximate_state_bytes(const UserState& state);

class UserStateCache {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  explicit UserStateCache(const CacheConfig& config, Clock clock = std::chrono::steady_clock::now);

  // The user's state, or null on a miss (absent, expired or caching disabled).
  [[nodiscard]] UserStatePtr get(std::string_view user_id);
  // Stores the state as the user's newest; evicts least recently used entries
  // until the byte bound holds. A state larger than a shard's share is not kept.
  void put(std::string_view user_id, UserStatePtr state);
  void erase(std::string_view user_id);

  struct Stats {
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;
    std::uint64_t evictions = 0;
    std::uint64_t bytes = 0;
    std::uint64_t entries = 0;
  };
  [[nodiscard]] Stats stats() const;

 private:
  struct Entry {
    std::string key;
    UserStatePtr state;
    std::size_t bytes;
    std::chrono::steady_clock::time_point expires;
  };
  // Sharded so that I/O threads rarely wait on each other.
  struct Shard {
    std::mutex mutex;
    std::list<Entry> lru;  // most recent first
    // By user id: a view of the entry's key past the prefix (lookups allocate nothing).
    std::unordered_map<std::string_view, std::list<Entry>::iterator> index;
    std::size_t bytes = 0;
  };

  [[nodiscard]] std::string cache_key(std::string_view user_id) const;
  [[nodiscard]] Shard& shard_for(std::string_view user_id);
  void remove(Shard& shard, std::list<Entry>::iterator entry);

  CacheConfig config_;
  Clock clock_;
  std::size_t shard_byte_limit_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::atomic<std::uint64_t> hits_{0};
  std::atomic<std::uint64_t> misses_{0};
  std::atomic<std::uint64_t> evictions_{0};
};

}  // namespace primesync
