#include "sync/resolve_duplicates.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace primesync::sync {
namespace {

struct Entry {
  std::string key;
  std::optional<Millis> timestamp;
};

// The rule written plainly: walk the request in order, a later copy replaces the
// kept one when later_copy_wins; the winners in key order.
std::vector<std::size_t> plain_winners(const std::vector<Entry>& entries) {
  std::map<std::string, std::size_t> kept;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    auto [it, inserted] = kept.try_emplace(entries[i].key, i);
    if (!inserted && later_copy_wins(entries[it->second].timestamp, entries[i].timestamp)) {
      it->second = i;
    }
  }
  std::vector<std::size_t> winners;
  for (const auto& [key, position] : kept) winners.push_back(position);
  return winners;
}

std::vector<std::size_t> winners_of(const std::vector<Entry>& entries) {
  return resolve_duplicates(
      entries.size(), [&](std::size_t i) -> const std::string& { return entries[i].key; },
      [&](std::size_t i) { return entries[i].timestamp; });
}

TEST(KeyPrefix, OrdersAsTheKeyDoes) {
  EXPECT_LT(key_prefix(""), key_prefix("a"));
  EXPECT_EQ(key_prefix("a"), key_prefix(std::string("a\0", 2)));  // the whole key decides
  EXPECT_LT(key_prefix("abcdefg"), key_prefix("abcdefgh"));
  EXPECT_LT(key_prefix("abcdefgh"), key_prefix("abcdefgi"));
  EXPECT_EQ(key_prefix("abcdefgh-one"), key_prefix("abcdefgh-two"));
  EXPECT_LT(key_prefix("\x7f"), key_prefix("\x80"));
  EXPECT_EQ(key_prefix("ABCDEFGH"), 0x4142434445464748ULL);
}

// Small and large requests (the large ones take the radix sort), in random order and
// in key order, with duplicates, keys that share their first eight bytes, keys that
// are prefixes of each other, and missing timestamps.
TEST(ResolveDuplicates, AgreesWithThePlainRuleAtEverySize) {
  std::mt19937 random(4122026);
  for (const std::size_t count : {0U, 1U, 2U, 7U, 127U, 128U, 129U, 1000U, 3000U}) {
    for (const bool key_order : {false, true}) {
      std::vector<Entry> entries;
      for (std::size_t i = 0; i < count; ++i) {
        std::string key;
        switch (random() % 4) {
          case 0:
            key = "sharedpfx" + std::to_string(random() % 50);  // same first 8 bytes
            break;
          case 1:
            key = std::string(random() % 9, 'k');  // prefixes of each other, and ""
            break;
          default:
            key = std::to_string(random() % (count + 1) * 7919);
        }
        std::optional<Millis> timestamp;
        if (random() % 5 != 0) timestamp = static_cast<Millis>(random() % 4);
        entries.push_back(Entry{std::move(key), timestamp});
      }
      if (key_order) {
        std::stable_sort(entries.begin(), entries.end(),
                         [](const Entry& a, const Entry& b) { return a.key < b.key; });
      }
      EXPECT_EQ(winners_of(entries), plain_winners(entries))
          << count << " entries" << (key_order ? " in key order" : "");
    }
  }
}

}  // namespace
}  // namespace primesync::sync
