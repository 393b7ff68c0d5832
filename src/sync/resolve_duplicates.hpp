// PROTOCOL.md §3 identity: within one request the copy of a key with the larger
// dataTimestamp counts (the later one on a tie; a missing timestamp is smallest).
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
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
  if (key.size() >= sizeof prefix) {  // the common case: one load and a byte swap
    std::memcpy(&prefix, key.data(), sizeof prefix);
    if constexpr (std::endian::native == std::endian::little) prefix = __builtin_bswap64(prefix);
    return prefix;
  }
  const std::size_t length = std::min<std::size_t>(key.size(), sizeof prefix);
  for (std::size_t i = 0; i < sizeof prefix; ++i) {
    prefix <<= 8U;
    if (i < length) prefix |= static_cast<unsigned char>(key[i]);
  }
  return prefix;
}

// A position and the key_prefix() of its key.
struct PrefixedPosition {
  std::uint64_t prefix;
  std::size_t position;
};

// Orders `entries`, which arrive in position order, by prefix and then position.
void sort_by_prefix(std::vector<PrefixedPosition>& entries);

// Orders positions 0..count-1 by key and keeps one winning position per key.
// `key_of(i)` and `timestamp_of(i)` describe entry i. Returns the winners ordered by key.
template <typename KeyOf, typename TimestampOf>
[[nodiscard]] std::vector<std::size_t> resolve_duplicates(std::size_t count, KeyOf key_of,
                                                          TimestampOf timestamp_of) {
  std::vector<PrefixedPosition> order(count);
  for (std::size_t i = 0; i < count; ++i) order[i] = PrefixedPosition{key_prefix(key_of(i)), i};
  sort_by_prefix(order);
  // Keys sharing a prefix (rare: real keys are digests) are ordered by the whole key;
  // ties on the key keep request order (by position), as the tie rule needs.
  const auto same_prefix = [](const PrefixedPosition& a, const PrefixedPosition& b) {
    return a.prefix == b.prefix;
  };
  for (auto run = std::adjacent_find(order.begin(), order.end(), same_prefix); run != order.end();
       run = std::adjacent_find(run, order.end(), same_prefix)) {
    const auto run_end = std::find_if(run, order.end(), [&](const PrefixedPosition& entry) {
      return entry.prefix != run->prefix;
    });
    std::sort(run, run_end, [&](const PrefixedPosition& a, const PrefixedPosition& b) {
      const int compared = std::string_view(key_of(a.position)).compare(key_of(b.position));
      return compared != 0 ? compared < 0 : a.position < b.position;
    });
    run = run_end;
  }
  std::vector<std::size_t> winners;
  winners.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t position = order[i].position;
    const bool repeats_previous =
        i > 0 && order[i - 1].prefix == order[i].prefix &&
        std::string_view(key_of(order[i - 1].position)) == std::string_view(key_of(position));
    if (!repeats_previous) {
      winners.push_back(position);
    } else if (later_copy_wins(timestamp_of(winners.back()), timestamp_of(position))) {
      winners.back() = position;
    }
  }
  return winners;
}

// The same for full items: keeps the winners, ordered by key; returns how many
// copies were discarded.
std::size_t resolve_duplicate_items(std::vector<Item>& items);

}  // namespace primesync::sync
