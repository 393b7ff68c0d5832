// Realistic synthetic payloads for the protocol benchmarks: 128-hex-char keys (the
// client's SHA-512 keys), the client's dataTypes, timestamps around 1.7e12 ms.
#pragma once

#include <array>
#include <cstddef>
#include <random>
#include <string>
#include <string_view>

namespace primesync::bench {

inline constexpr std::array<std::string_view, 10> data_types = {
    "Lock",        "Wallet",          "IndexedAccount", "Account",       "BrowserBookmark",
    "AddressBook", "MarketWatchList", "CustomToken",    "CustomNetwork", "CustomRpc"};

inline std::string random_hex(std::mt19937_64& random, std::size_t length) {
  static constexpr char hex_digits[] = "0123456789abcdef";
  std::string text(length, '0');
  for (char& c : text) c = hex_digits[random() & 0xFU];
  return text;
}

// A check body as the OneKey app sends it (every entry carries the pwdHash too).
inline std::string make_check_body(std::size_t entries) {
  std::mt19937_64 random(42);
  std::string body = R"({"localData":[)";
  for (std::size_t i = 0; i < entries; ++i) {
    if (i != 0) body += ',';
    body += R"({"key":")" + random_hex(random, 128) + R"(","dataType":")" +
            std::string(data_types[i % data_types.size()]) + R"(","dataTimestamp":)" +
            std::to_string(1700000000000 + random() % 100000000) +
            R"(,"pwdHash":"5f0c1f9e-3c1a-4a51-9d3e-6a1c8b7e2f40"})";
  }
  body += R"(],"onlyCheckLocalDataType":[],"pwdHash":"5f0c1f9e-3c1a-4a51-9d3e-6a1c8b7e2f40",)"
          R"("nonce":0})";
  return body;
}

}  // namespace primesync::bench
