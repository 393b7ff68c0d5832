#include "cache/user_state_cache.hpp"

namespace primesync {
namespace {

constexpr std::size_t shard_count = 16;
// What a container node, a shared pointer and a string header cost beyond their text.
constexpr std::size_t per_item_overhead = 160;
constexpr std::size_t per_state_overhead = 512;

}  // namespace

std::size_t approximate_state_bytes(const UserState& state) {
  std::size_t bytes = per_state_overhead + state.user.user_id.size() + state.user.salt.size() +
                      state.user.pwd_hash.size();
  for (const ItemPtr& item : state.items) {
    bytes += per_item_overhead + item->key.size() + item->data_type.size() + item->data.size();
  }
  bytes += state.items.index_bytes();
  if (state.lock) bytes += per_item_overhead + state.lock->item.data.size();
  bytes += state.devices.size() * per_item_overhead;
  return bytes;
}

UserStateCache::UserStateCache(const CacheConfig& config, Clock clock)
    : config_(config), clock_(std::move(clock)), shard_byte_limit_(config.max_bytes / shard_count) {
  shards_.reserve(shard_count);
  for (std::size_t i = 0; i < shard_count; ++i) shards_.push_back(std::make_unique<Shard>());
}

std::string UserStateCache::cache_key(std::string_view user_id) const {
  std::string key;
  key.reserve(config_.prefix.size() + user_id.size());
  key.append(config_.prefix).append(user_id);
  return key;
}

UserStateCache::Shard& UserStateCache::shard_for(std::string_view user_id) {
  return *shards_[std::hash<std::string_view>{}(user_id) % shards_.size()];
}

void UserStateCache::remove(Shard& shard, std::list<Entry>::iterator entry) {
  shard.bytes -= entry->bytes;
  shard.index.erase(std::string_view(entry->key).substr(config_.prefix.size()));
  shard.lru.erase(entry);
}

UserStatePtr UserStateCache::get(std::string_view user_id) {
  if (!config_.enabled) return nullptr;
  Shard& shard = shard_for(user_id);
  std::lock_guard lock(shard.mutex);
  auto found = shard.index.find(user_id);
  if (found == shard.index.end()) {
    misses_.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  if (found->second->expires <= clock_()) {
    remove(shard, found->second);
    misses_.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  shard.lru.splice(shard.lru.begin(), shard.lru, found->second);
  hits_.fetch_add(1, std::memory_order_relaxed);
  return found->second->state;
}

void UserStateCache::put(std::string_view user_id, UserStatePtr state) {
  if (!config_.enabled) return;
  std::string key = cache_key(user_id);
  const std::size_t bytes = approximate_state_bytes(*state) + key.size();
  Shard& shard = shard_for(user_id);
  std::lock_guard lock(shard.mutex);
  if (auto found = shard.index.find(user_id); found != shard.index.end()) {
    remove(shard, found->second);
  }
  if (bytes > shard_byte_limit_) return;
  while (shard.bytes + bytes > shard_byte_limit_ && !shard.lru.empty()) {
    remove(shard, std::prev(shard.lru.end()));
    evictions_.fetch_add(1, std::memory_order_relaxed);
  }
  shard.lru.push_front(Entry{std::move(key), std::move(state), bytes, clock_() + config_.ttl});
  shard.index.emplace(std::string_view(shard.lru.front().key).substr(config_.prefix.size()),
                      shard.lru.begin());
  shard.bytes += bytes;
}

void UserStateCache::erase(std::string_view user_id) {
  Shard& shard = shard_for(user_id);
  std::lock_guard lock(shard.mutex);
  if (auto found = shard.index.find(user_id); found != shard.index.end()) {
    remove(shard, found->second);
  }
}

UserStateCache::Stats UserStateCache::stats() const {
  Stats stats{hits_.load(), misses_.load(), evictions_.load(), 0, 0};
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard->mutex);
    stats.bytes += shard->bytes;
    stats.entries += shard->lru.size();
  }
  return stats;
}

}  // namespace primesync
