// PROTOCOL.md §3 identity: within one request the copy of a key with the larger
// dataTimestamp counts (the later one on a tie; a missing timestamp is smallest).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <optional>
#include <string_view>
#include <vector>

#include "primesync/model.hpp"

namespace primesync::sync {

// True when a later copy of a key, with timestamp `later`, beats the copy before it.
[[nodiscard]] constexpr bool later_copy_wins(std::optional<Millis> earlier,
                                             std::optional<Millis> later) noexcept {
  if (!later) return !earlier;  // both missing: the later one
  return !earlier || *later >= *earlier;
}

// The first eight bytes of a key as a big-endian number: ordering by it agrees
// with ordering by the key, and real keys (hex digests) almost never share it, so
// most comparisons in a sort are one integer compare instead of a memcmp.
[[nodiscard]] inline std::uint64_t key_prefix(std::string_view key) noexcept {
  std::uint64_t prefix = 0;
  const std::size_t length = std::min<std::size_t>(key.size(), sizeof prefix);
  for (std::size_t i = 0; i < sizeof prefix; ++i) {
    prefix <<= 8U;
    if (i < length) prefix |= static_cast<unsigned char>(key[i]);
  }
  return prefix;
}

// Orders positions 0..count-1 by key and keeps one winning position per key.
// `key_of(i)` and `timestamp_of(i)` describe entry i. Returns the winners ordered by key.
template <typename KeyOf, typename TimestampOf>
[[nodiscard]] std::vector<std::size_t> resolve_duplicates(std::size_t count, KeyOf key_of,
                                                          TimestampOf timestamp_of) {
  struct Entry {
    std::uint64_t prefix;
    std::size_t position;
  };
  std::vector<Entry> order(count);
  for (std::size_t i = 0; i < count; ++i) order[i] = Entry{key_prefix(key_of(i)), i};
  // Ties on the key keep request order (by position), as the tie rule needs.
  std::sort(order.begin(), order.end(), [&](const Entry& a, const Entry& b) {
    if (a.prefix != b.prefix) return a.prefix < b.prefix;
    const int compared = std::string_view(key_of(a.position)).compare(key_of(b.position));
    return compared != 0 ? compared < 0 : a.position < b.position;
  });
  std::vector<std::size_t> winners;
  winners.reserve(count);
  for (const Entry& entry : order) {
    const std::size_t position = entry.position;
    if (!winners.empty() &&
        std::string_view(key_of(winners.back())) == std::string_view(key_of(position))) {
      if (later_copy_wins(timestamp_of(winners.back()), timestamp_of(position))) {
        winners.back() = position;
      }
    } else {
      winners.push_back(position);
    }
  }
  return winners;
}

// The same for full items: keeps the winners, ordered by key; returns how many
// copies were discarded.
std::size_t resolve_duplicate_items(std::vector<Item>& items);

}  // namespace primesync::sync
