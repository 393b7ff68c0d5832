// HS256 JSON Web Tokens (PROTOCOL.md §1.2): verification for requests, signing
// for `primesync-server token` and tests.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "primesync/config.hpp"
#include "primesync/error.hpp"
#include "primesync/model.hpp"

namespace primesync::auth {

struct TokenClaims {
  std::string subject;          // `sub`: the user id
  std::optional<bool> prime;    // `prime`
  std::int64_t expires_at = 0;  // `exp`, seconds since the epoch
};

// Checks the size, signature, `exp` and `nbf` (with leeway) and reads the claims;
// any problem is a 90002 failure whose message says which. A token over
// `max_token_bytes` is refused before any work is spent on it.
[[nodiscard]] Outcome<TokenClaims> verify_token(
    std::string_view token, std::string_view secret, std::chrono::seconds leeway, Millis now,
    std::size_t max_token_bytes = AuthConfig{}.max_token_bytes);

// A signed token with `sub`, `iat`, `exp` and, when given, `prime`.
[[nodiscard]] std::string sign_token(const TokenClaims& claims, std::string_view secret,
                                     Millis now);

// The pieces of a JWT, public so tests can build tokens with malformed content.
[[nodiscard]] std::string base64url_encode(std::string_view bytes);
[[nodiscard]] std::string hmac_sha256(std::string_view secret, std::string_view message);

}  // namespace primesync::auth
