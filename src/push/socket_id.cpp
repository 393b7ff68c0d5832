#include "push/socket_id.hpp"

#include <openssl/rand.h>

#include <array>
#include <stdexcept>
#include <string_view>

#include "auth/jwt.hpp"

namespace primesync::push {

std::string new_socket_id() {
  constexpr std::size_t random_bytes = 16;  // 22 URL-safe characters
  std::array<unsigned char, random_bytes> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    throw std::runtime_error("no random bytes for a socket id");
  }
  return auth::base64url_encode(
      std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

}  // namespace primesync::push
