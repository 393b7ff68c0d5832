#include "push/socket_id.hpp"

#include <openssl/rand.h>

#include <array>
#include <stdexcept>

namespace primesync::push {

std::string new_socket_id() {
  constexpr std::string_view alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  constexpr std::size_t random_bytes = 16;
  std::array<unsigned char, random_bytes> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    throw std::runtime_error("no random bytes for a socket id");
  }
  // 6 bits per character: 22 characters carry the 128 bits.
  std::string id;
  unsigned buffer = 0;
  unsigned bits = 0;
  for (unsigned char byte : bytes) {
    buffer = (buffer << 8U) | byte;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      id.push_back(alphabet[(buffer >> bits) & 0x3FU]);
    }
  }
  if (bits > 0) id.push_back(alphabet[(buffer << (6 - bits)) & 0x3FU]);
  return id;
}

}  // namespace primesync::push
