#include <gtest/gtest.h>

#include <cstddef>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "primesync/model.hpp"

namespace primesync {
namespace {

ItemPtr make(std::string key, Millis timestamp, std::string data = "d") {
  return std::make_shared<const Item>(Item{std::move(key), "Wallet", std::move(data), timestamp});
}

using Reference = std::map<std::string, ItemPtr>;

// Every view of the index agrees with the reference: the items, their order, and the
// contiguous keys and timestamps.
void expect_matches(const ItemIndex& index, const Reference& reference) {
  ASSERT_EQ(index.size(), reference.size());
  std::size_t position = 0;
  for (const auto& [key, item] : reference) {
    EXPECT_EQ(index.items()[position], item) << "position " << position;
    EXPECT_EQ(index.key(position), key) << "position " << position;
    EXPECT_EQ(index.timestamp(position), item->data_timestamp) << "position " << position;
    EXPECT_EQ(index.find(key), item.get());
    ++position;
  }
}

TEST(ItemIndex, KeepsItemsKeysAndTimestampsInKeyOrder) {
  ItemIndex index;
  index.put(make("m", 1));
  index.put(make("c", 2));
  index.put(make("x", 3));
  index.put(make("a", 4));
  index.put(make("mm", 5));
  Reference reference;
  for (const ItemPtr& item : index) reference[item->key] = item;
  EXPECT_EQ(index.key(0), "a");
  EXPECT_EQ(index.key(4), "x");
  expect_matches(index, reference);
  EXPECT_EQ(index.find("b"), nullptr);
  EXPECT_EQ(index.find(""), nullptr);
  EXPECT_EQ(index.find("zz"), nullptr);
}

TEST(ItemIndex, PutReplacesTheItemAndItsTimestamp) {
  ItemIndex index;
  index.put(make("a", 1, "old"));
  index.put(make("b", 2));
  const ItemPtr newer = make("a", 9, "new");
  index.put(newer);
  ASSERT_EQ(index.size(), 2U);
  EXPECT_EQ(index.find("a"), newer.get());
  EXPECT_EQ(index.timestamp(0), 9);
  EXPECT_EQ(index.key(1), "b");
}

TEST(ItemIndex, EraseClosesTheGapInTheKeys) {
  ItemIndex index;
  for (const char* key : {"aa", "bbb", "c", "dddd"}) index.put(make(key, 1));
  index = index.updated({"bbb", "missing"}, {});
  ASSERT_EQ(index.size(), 3U);
  EXPECT_EQ(index.key(0), "aa");
  EXPECT_EQ(index.key(1), "c");
  EXPECT_EQ(index.key(2), "dddd");
  EXPECT_EQ(index.index_bytes(), 7 + 3 * (sizeof(std::size_t) + sizeof(Millis)));
}

TEST(ItemIndex, UpdatedErasesThenPutsAndTheLastPutOfAKeyCounts) {
  ItemIndex index;
  for (const char* key : {"a", "b", "c", "d"}) index.put(make(key, 1));
  const ItemPtr b2 = make("b", 2);
  const ItemPtr b3 = make("b", 3);
  const ItemPtr e = make("e", 4);
  const ItemPtr zero = make("0", 5);
  index = index.updated({"a", "c", "b", "nothing"}, {b2, e, b3, zero});
  Reference reference{{"0", zero}, {"b", b3}, {"d", index.items()[2]}, {"e", e}};
  expect_matches(index, reference);
}

TEST(ItemIndex, AssignSortsByBytes) {
  ItemIndex index;
  index.put(make("stale", 1));
  index.assign({make("b", 1), make(std::string("a\0", 2), 2), make("a", 3), make("B", 4)});
  ASSERT_EQ(index.size(), 4U);
  EXPECT_EQ(index.key(0), "B");
  EXPECT_EQ(index.key(1), "a");
  EXPECT_EQ(index.key(2), std::string_view("a\0", 2));
  EXPECT_EQ(index.key(3), "b");
  EXPECT_EQ(index.find("stale"), nullptr);
}

TEST(ItemIndex, ACopyIsIndependentAndAMovedFromIndexIsReusable) {
  ItemIndex index;
  index.put(make("a", 1));
  ItemIndex copy = index;
  copy.put(make("b", 2));
  EXPECT_EQ(index.size(), 1U);
  EXPECT_EQ(copy.size(), 2U);
  ItemIndex moved = std::move(copy);
  copy.clear();  // NOLINT(bugprone-use-after-move): clear() makes it usable again
  copy.put(make("z", 3));
  EXPECT_EQ(copy.key(0), "z");
  EXPECT_EQ(moved.key(1), "b");
}

// Random puts, erases and updates against a std::map: every view stays consistent.
TEST(ItemIndex, RandomChangesAgreeWithAnOrderedMap) {
  std::mt19937 random(20261204);
  auto random_key = [&] {
    std::string key(1 + random() % 6, 'a');
    for (char& c : key) c = static_cast<char>('a' + random() % 4);
    return key;
  };
  ItemIndex index;
  Reference reference;
  for (int round = 0; round < 400; ++round) {
    switch (random() % 3) {
      case 0: {
        const ItemPtr item = make(random_key(), static_cast<Millis>(random() % 1000));
        index.put(item);
        reference[item->key] = item;
        break;
      }
      case 1: {
        const std::string key = random_key();
        index = index.updated({key}, {});
        reference.erase(key);
        break;
      }
      default: {
        std::vector<std::string> erase_keys;
        std::vector<ItemPtr> put_items;
        for (std::size_t i = random() % 5; i > 0; --i) erase_keys.push_back(random_key());
        for (std::size_t i = random() % 8; i > 0; --i) {
          put_items.push_back(make(random_key(), static_cast<Millis>(random() % 1000)));
        }
        index = index.updated(erase_keys, put_items);
        for (const std::string& key : erase_keys) reference.erase(key);
        for (const ItemPtr& item : put_items) reference[item->key] = item;
      }
    }
    ASSERT_NO_FATAL_FAILURE(expect_matches(index, reference)) << "round " << round;
  }
}

}  // namespace
}  // namespace primesync
