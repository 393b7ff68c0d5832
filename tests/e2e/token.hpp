// Mints HS256 JWTs for the e2e tests (PROTOCOL.md §1.2): valid ones, expired ones
// and badly signed ones.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace primesync::e2e {

// The secret every test server is started with (env PRIMESYNC_JWT_SECRET).
inline constexpr std::string_view kTestJwtSecret = "e2e-secret-0f6c1d9a2b7e4c58a3f1";

[[nodiscard]] std::string base64url_encode(std::string_view bytes);

// The decoded payload (middle part) of a JWT; empty when it is not one.
[[nodiscard]] std::string jwt_payload(std::string_view token);

// Signs `payload_json` (any JSON object text) with HS256 under `secret`.
[[nodiscard]] std::string sign_jwt(std::string_view secret, std::string_view payload_json);

struct TokenClaims {
  std::string sub;
  std::chrono::seconds ttl = std::chrono::hours(1);  // exp = now + ttl (may be negative)
  std::optional<bool> prime;                         // the optional `prime` claim
};

[[nodiscard]] std::string mint_token(std::string_view secret, const TokenClaims& claims);

// A valid token for `user` under the test secret.
[[nodiscard]] std::string mint_token(std::string_view user,
                                     std::optional<bool> prime = std::nullopt);

// Expired well beyond the 60 s leeway.
[[nodiscard]] std::string mint_expired_token(std::string_view user);

// Correct shape and claims, signed with another secret.
[[nodiscard]] std::string mint_badly_signed_token(std::string_view user);

}  // namespace primesync::e2e
