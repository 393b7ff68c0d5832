#include "sync/resolve_duplicates.hpp"

namespace primesync::sync {

std::size_t resolve_duplicate_items(std::vector<Item>& items) {
  const auto winners = resolve_duplicates(
      items.size(), [&](std::size_t i) -> const std::string& { return items[i].key; },
      [&](std::size_t i) -> std::optional<Millis> { return items[i].data_timestamp; });
  const std::size_t discarded = items.size() - winners.size();
  std::vector<Item> kept;
  kept.reserve(winners.size());
  for (std::size_t position : winners) kept.push_back(std::move(items[position]));
  items = std::move(kept);
  return discarded;
}

}  // namespace primesync::sync
