#include "auth/token_cache.hpp"

namespace primesync::auth {
namespace {
constexpr std::int64_t millis_per_second = 1000;
}  // namespace

TokenCache::TokenCache(std::size_t max_entries)
    : max_per_shard_((max_entries + shard_count - 1) / shard_count) {}

TokenCache::Shard& TokenCache::shard_for(std::string_view token) {
  return shards_[std::hash<std::string_view>{}(token) % shard_count];
}

std::optional<TokenClaims> TokenCache::find(std::string_view token, std::chrono::seconds leeway,
                                            Millis now) {
  if (max_per_shard_ == 0) return std::nullopt;
  Shard& shard = shard_for(token);
  std::lock_guard lock(shard.mutex);
  auto found = shard.claims.find(token);
  if (found == shard.claims.end()) return std::nullopt;
  if (found->second.expires_at + leeway.count() < now / millis_per_second) {
    shard.claims.erase(found);
    return std::nullopt;
  }
  return found->second;
}

void TokenCache::remember(std::string_view token, const TokenClaims& claims) {
  if (max_per_shard_ == 0) return;
  Shard& shard = shard_for(token);
  std::lock_guard lock(shard.mutex);
  if (shard.claims.size() >= max_per_shard_) shard.claims.clear();
  shard.claims.insert_or_assign(std::string(token), claims);
}

}  // namespace primesync::auth
