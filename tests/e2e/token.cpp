#include "token.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stdexcept>

namespace primesync::e2e {
namespace {

std::string json_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::string base64url_encode(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    auto n = (std::uint32_t{static_cast<unsigned char>(bytes[i])} << 16U) |
             (std::uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8U) |
             std::uint32_t{static_cast<unsigned char>(bytes[i + 2])};
    out += kAlphabet[(n >> 18U) & 63U];
    out += kAlphabet[(n >> 12U) & 63U];
    out += kAlphabet[(n >> 6U) & 63U];
    out += kAlphabet[n & 63U];
  }
  const std::size_t rest = bytes.size() - i;  // no padding in base64url JWTs
  if (rest > 0) {
    std::uint32_t n = std::uint32_t{static_cast<unsigned char>(bytes[i])} << 16U;
    if (rest == 2) n |= std::uint32_t{static_cast<unsigned char>(bytes[i + 1])} << 8U;
    out += kAlphabet[(n >> 18U) & 63U];
    out += kAlphabet[(n >> 12U) & 63U];
    if (rest == 2) out += kAlphabet[(n >> 6U) & 63U];
  }
  return out;
}

std::string jwt_payload(std::string_view token) {
  const auto first = token.find('.');
  const auto second = token.find('.', first == std::string_view::npos ? first : first + 1);
  if (first == std::string_view::npos || second == std::string_view::npos) return {};
  const std::string_view part = token.substr(first + 1, second - first - 1);
  std::string out;
  std::uint32_t bits = 0;
  int count = 0;
  for (char c : part) {
    std::uint32_t value = 0;
    if (c >= 'A' && c <= 'Z')
      value = static_cast<std::uint32_t>(c - 'A');
    else if (c >= 'a' && c <= 'z')
      value = static_cast<std::uint32_t>(c - 'a' + 26);
    else if (c >= '0' && c <= '9')
      value = static_cast<std::uint32_t>(c - '0' + 52);
    else if (c == '-')
      value = 62;
    else if (c == '_')
      value = 63;
    else
      return {};
    bits = (bits << 6U) | value;
    count += 6;
    if (count >= 8) {
      count -= 8;
      out += static_cast<char>((bits >> static_cast<unsigned>(count)) & 0xFFU);
    }
  }
  return out;
}

std::string sign_jwt(std::string_view secret, std::string_view payload_json) {
  const std::string signing_input =
      base64url_encode(R"({"alg":"HS256","typ":"JWT"})") + "." + base64url_encode(payload_json);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  if (HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
           reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size(), mac,
           &mac_len) == nullptr) {
    throw std::runtime_error("HMAC-SHA256 failed");
  }
  return signing_input + "." +
         base64url_encode(std::string_view(reinterpret_cast<const char*>(mac), mac_len));
}

std::string mint_token(std::string_view secret, const TokenClaims& claims) {
  std::string payload = R"({"sub":")" + json_escape(claims.sub) +
                        R"(","role":"authenticated","exp":)" +
                        std::to_string(unix_now() + claims.ttl.count());
  if (claims.prime) payload += *claims.prime ? R"(,"prime":true)" : R"(,"prime":false)";
  payload += "}";
  return sign_jwt(secret, payload);
}

std::string mint_token(std::string_view user, std::optional<bool> prime) {
  return mint_token(kTestJwtSecret, TokenClaims{std::string(user), std::chrono::hours(1), prime});
}

std::string mint_expired_token(std::string_view user) {
  return mint_token(kTestJwtSecret, TokenClaims{std::string(user), -std::chrono::hours(1), {}});
}

std::string mint_badly_signed_token(std::string_view user) {
  return mint_token("not-the-server-secret",
                    TokenClaims{std::string(user), std::chrono::hours(1), {}});
}

}  // namespace primesync::e2e
