// The environment a real deployment runs with: the system clock, OpenSSL's
// random bytes and the protocol's JSON encoding of notifications.
#include <openssl/rand.h>

#include <chrono>
#include <stdexcept>

#include "primesync/sync_service.hpp"
#include "protocol/notification_encoder.hpp"

namespace primesync {
namespace {

std::string random_hex(std::size_t bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) {
    throw std::runtime_error("OpenSSL RAND_bytes failed");
  }
  std::string hex;
  hex.reserve(bytes * 2);
  for (unsigned char byte : raw) {
    hex.push_back(digits[byte >> 4U]);
    hex.push_back(digits[byte & 0x0FU]);
  }
  return hex;
}

}  // namespace

ServiceEnvironment default_environment() {
  return ServiceEnvironment{
      wall_clock_now, random_hex,
      [](const Notification& notification) { return protocol::encode_notification(notification); },
      [](const Item& item) { return protocol::encoded_item_size(item); }};
}

}  // namespace primesync
