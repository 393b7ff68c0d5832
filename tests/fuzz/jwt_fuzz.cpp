// libFuzzer target: token verification on hostile input (the X-Onekey-Request-Token
// header). Any bytes give claims or a 90002 failure: no crash, no sanitizer report.
// Half of the inputs are made to carry a valid signature over fuzzed header and
// claims, so the parsing behind the signature check is reached too.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "auth/jwt.hpp"

namespace {

constexpr std::string_view kSecret = "fuzz-secret";
constexpr primesync::Millis kNow = 1'700'000'000'000;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace primesync::auth;
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  if ((data[0] & 1U) == 0) {
    (void)verify_token(input, kSecret, std::chrono::seconds(60), kNow);
    return 0;
  }
  // "header JSON \n claims JSON", signed properly.
  const std::size_t split = input.find('\n');
  const std::string_view header = input.substr(0, split);
  const std::string_view claims = split == std::string_view::npos ? "" : input.substr(split + 1);
  const std::string signed_part = base64url_encode(header) + "." + base64url_encode(claims);
  const std::string token = signed_part + "." + base64url_encode(hmac_sha256(kSecret, signed_part));
  (void)verify_token(token, kSecret, std::chrono::seconds(60), kNow);
  return 0;
}
