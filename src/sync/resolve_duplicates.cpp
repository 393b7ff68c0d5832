#include "sync/resolve_duplicates.hpp"

#include <array>
#include <utility>

namespace primesync::sync {
namespace {

// Below this many entries, std::sort's comparisons cost less than a radix sort's
// eight passes and its counting tables.
constexpr std::size_t radix_sort_threshold = 128;
constexpr std::size_t radix_bits = 8;
constexpr std::size_t radix_buckets = std::size_t{1} << radix_bits;
constexpr std::size_t radix_digits = sizeof(std::uint64_t) * 8 / radix_bits;

}  // namespace

// A least-significant-digit radix sort, one byte of the prefix per pass: stable, so
// entries that arrive in position order leave ordered by position within a prefix.
void sort_by_prefix(std::vector<PrefixedPosition>& entries) {
  const auto before = [](const PrefixedPosition& a, const PrefixedPosition& b) {
    return a.prefix != b.prefix ? a.prefix < b.prefix : a.position < b.position;
  };
  // A client that sends its entries in key order pays one comparison per entry.
  if (std::is_sorted(entries.begin(), entries.end(), before)) return;
  if (entries.size() < radix_sort_threshold) {
    std::sort(entries.begin(), entries.end(), before);
    return;
  }
  const auto digit_of = [](std::uint64_t prefix, std::size_t digit) {
    return static_cast<std::size_t>((prefix >> (digit * radix_bits)) & (radix_buckets - 1));
  };
  std::array<std::array<std::size_t, radix_buckets>, radix_digits> counts{};
  for (const PrefixedPosition& entry : entries) {
    for (std::size_t digit = 0; digit < radix_digits; ++digit) {
      ++counts[digit][digit_of(entry.prefix, digit)];
    }
  }
  std::vector<PrefixedPosition> sorted(entries.size());
  for (std::size_t digit = 0; digit < radix_digits; ++digit) {
    auto& count = counts[digit];
    // A byte every entry shares (e.g. within a prefix all keys have) orders nothing.
    if (count[digit_of(entries.front().prefix, digit)] == entries.size()) continue;
    std::size_t next = 0;
    for (std::size_t& bucket : count) next += std::exchange(bucket, next);
    for (const PrefixedPosition& entry : entries) {
      sorted[count[digit_of(entry.prefix, digit)]++] = entry;
    }
    entries.swap(sorted);
  }
}

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
