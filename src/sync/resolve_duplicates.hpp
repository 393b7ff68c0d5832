// PROTOCOL.md §3 identity: within one request the copy of a key with the larger
// dataTimestamp counts (the later one on a tie; a missing timestamp is smallest).
#pragma once

#include <algorithm>
#include <cstddef>
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

// Orders positions 0..count-1 by key and keeps one winning position per key.
// `key_of(i)` and `timestamp_of(i)` describe entry i. Returns the winners ordered by key.
template <typename KeyOf, typename TimestampOf>
[[nodiscard]] std::vector<std::size_t> resolve_duplicates(std::size_t count, KeyOf key_of,
                                                          TimestampOf timestamp_of) {
  std::vector<std::size_t> order(count);
  std::iota(order.begin(), order.end(), std::size_t{0});
  // Stable, so equal keys stay in request order and the tie rule sees them in order.
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return std::string_view(key_of(a)) < std::string_view(key_of(b));
  });
  std::vector<std::size_t> winners;
  winners.reserve(count);
  for (std::size_t position : order) {
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
