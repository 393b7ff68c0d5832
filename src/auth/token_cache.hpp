// Remembers tokens that verified, so a device's repeated requests skip the HMAC
// and the claims parse. A hit still checks expiry; a token that failed is never
// remembered. Bounded: a full shard is emptied (tokens are cheap to re-verify).
#pragma once

#include <array>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "auth/jwt.hpp"

namespace primesync::auth {

class TokenCache {
 public:
  explicit TokenCache(std::size_t max_entries);

  // The cached claims when `token` verified before and has not expired at `now`.
  [[nodiscard]] std::optional<TokenClaims> find(std::string_view token, std::chrono::seconds leeway,
                                                Millis now);
  void remember(std::string_view token, const TokenClaims& claims);

 private:
  static constexpr std::size_t shard_count = 16;
  // Looked up by the request's view of the token, without copying it.
  struct TokenHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view token) const noexcept {
      return std::hash<std::string_view>{}(token);
    }
  };
  struct Shard {
    std::mutex mutex;
    std::unordered_map<std::string, TokenClaims, TokenHash, std::equal_to<>> claims;
  };
  Shard& shard_for(std::string_view token);

  std::size_t max_per_shard_;
  std::array<Shard, shard_count> shards_;
};

}  // namespace primesync::auth
