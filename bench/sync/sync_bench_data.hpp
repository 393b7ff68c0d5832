// Keys as the app makes them, for the sync-layer benchmarks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

namespace primesync::bench {

inline constexpr std::size_t key_hex_chars = 128;

inline std::string key_for(std::size_t index) {
  // Realistic 128-hex-digit keys in an order unrelated to the index.
  std::string key;
  std::uint64_t state = index * 0x9E3779B97F4A7C15ULL + 1;
  while (key.size() < key_hex_chars) {
    state ^= state << 13U;
    state ^= state >> 7U;
    state ^= state << 17U;
    char chunk[17];
    std::snprintf(chunk, sizeof chunk, "%016llx", static_cast<unsigned long long>(state));
    key += chunk;
  }
  return key;
}

}  // namespace primesync::bench
