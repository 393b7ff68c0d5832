#include "auth/jwt.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <simdjson.h>
#include <array>

namespace primesync::auth {
namespace {

constexpr std::string_view base64url_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::string_view hs256_header = R"({"alg":"HS256","typ":"JWT"})";
constexpr std::int64_t millis_per_second = 1000;

std::optional<std::string> base64url_decode(std::string_view text) {
  static const auto table = [] {
    std::array<int, 256> values{};
    values.fill(-1);
    for (std::size_t i = 0; i < base64url_alphabet.size(); ++i) {
      values[static_cast<unsigned char>(base64url_alphabet[i])] = static_cast<int>(i);
    }
    return values;
  }();
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : text) {
    const int value = table[c];
    if (value < 0) return std::nullopt;
    buffer = (buffer << 6U) | static_cast<std::uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> static_cast<unsigned>(bits)) & 0xFFU));
    }
  }
  return out;
}

Failure invalid(std::string_view why) {
  return fail(Error::token_invalid, "token: " + std::string(why));
}

// A time claim in whole seconds, if it is a number a timestamp can be (JSON
// integers go up to 2^53 in this protocol; a larger one would overflow int64).
std::optional<std::int64_t> seconds_claim(double value) {
  constexpr double kLargest = 9007199254740992.0;  // 2^53
  if (!(value >= -kLargest && value <= kLargest)) return std::nullopt;
  return static_cast<std::int64_t>(value);
}

}  // namespace

std::string base64url_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char byte : bytes) {
    buffer = (buffer << 8U) | byte;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(base64url_alphabet[(buffer >> static_cast<unsigned>(bits)) & 0x3FU]);
    }
  }
  if (bits > 0) out.push_back(base64url_alphabet[(buffer << (6U - bits)) & 0x3FU]);
  return out;
}

std::string hmac_sha256(std::string_view secret, std::string_view message) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest.data(),
       &length);
  return {reinterpret_cast<const char*>(digest.data()), length};
}

Outcome<TokenClaims> verify_token(std::string_view token, std::string_view secret,
                                  std::chrono::seconds leeway, Millis now,
                                  std::size_t max_token_bytes) {
  if (token.empty()) return invalid("missing");
  if (token.size() > max_token_bytes) return invalid("too large");
  const auto first_dot = token.find('.');
  const auto second_dot =
      first_dot == std::string_view::npos ? first_dot : token.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos) return invalid("malformed");
  const std::string_view signed_part = token.substr(0, second_dot);

  const auto signature = base64url_decode(token.substr(second_dot + 1));
  const std::string expected = hmac_sha256(secret, signed_part);
  if (!signature || signature->size() != expected.size() ||
      CRYPTO_memcmp(signature->data(), expected.data(), expected.size()) != 0) {
    return invalid("bad signature");
  }
  const auto header = base64url_decode(token.substr(0, first_dot));
  const auto payload = base64url_decode(token.substr(first_dot + 1, second_dot - first_dot - 1));
  if (!header || !payload) return invalid("malformed");

  thread_local simdjson::dom::parser parser;  // reused: no allocation per request
  simdjson::dom::element header_json;
  if (parser.parse(*header).get(header_json) != simdjson::SUCCESS) return invalid("malformed");
  std::string_view algorithm;
  if (header_json["alg"].get(algorithm) != simdjson::SUCCESS || algorithm != "HS256") {
    return invalid("algorithm must be HS256");
  }

  simdjson::dom::element claims_json;
  if (parser.parse(*payload).get(claims_json) != simdjson::SUCCESS) return invalid("malformed");
  TokenClaims claims;
  std::string_view subject;
  if (claims_json["sub"].get(subject) != simdjson::SUCCESS || subject.empty()) {
    return invalid("sub missing");
  }
  claims.subject = std::string(subject);

  const std::int64_t now_seconds = now / millis_per_second;
  double expires = 0;
  if (claims_json["exp"].get(expires) != simdjson::SUCCESS) return invalid("exp missing");
  const auto expires_at = seconds_claim(expires);
  if (!expires_at) return invalid("exp out of range");
  claims.expires_at = *expires_at;
  if (claims.expires_at + leeway.count() < now_seconds) return invalid("expired");
  double not_before = 0;
  if (auto nbf = claims_json["nbf"]; nbf.error() == simdjson::SUCCESS && !nbf.is_null()) {
    if (nbf.get(not_before) != simdjson::SUCCESS) return invalid("nbf malformed");
    const auto valid_from = seconds_claim(not_before);
    if (!valid_from) return invalid("nbf malformed");
    if (*valid_from - leeway.count() > now_seconds) return invalid("not yet valid");
  }
  if (auto prime = claims_json["prime"]; prime.error() == simdjson::SUCCESS && !prime.is_null()) {
    bool is_prime = false;
    if (prime.get(is_prime) != simdjson::SUCCESS) return invalid("prime must be a boolean");
    claims.prime = is_prime;
  }
  return claims;
}

std::string sign_token(const TokenClaims& claims, std::string_view secret, Millis now) {
  std::string payload = R"({"sub":")";
  for (char c : claims.subject) {  // user ids are plain; escape what JSON requires
    if (c == '"' || c == '\\') payload.push_back('\\');
    payload.push_back(c);
  }
  payload += R"(","iat":)" + std::to_string(now / millis_per_second) + R"(,"exp":)" +
             std::to_string(claims.expires_at);
  if (claims.prime) payload += std::string(R"(,"prime":)") + (*claims.prime ? "true" : "false");
  payload += "}";
  std::string token = base64url_encode(hs256_header) + "." + base64url_encode(payload);
  return token + "." + base64url_encode(hmac_sha256(secret, token));
}

}  // namespace primesync::auth
