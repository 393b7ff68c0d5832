// PROTOCOL.md §4.2 step 2 (last writer wins) and §3 (duplicates in one request).
#include "sync/last_writer_wins.hpp"

#include <gtest/gtest.h>

#include "support/builders.hpp"
#include "sync/resolve_duplicates.hpp"

namespace primesync::sync {
namespace {

using testing::keys_of;
using testing::make_item;
using testing::make_tombstone;
using Keys = std::vector<std::string>;

constexpr std::int64_t new_nonce = 8;
constexpr Millis now = 1'000'000;

ItemIndex stored_index(std::vector<Item> items) {
  ItemIndex index;
  for (Item& item : items) index.put(testing::share(std::move(item)));
  return index;
}

struct LwwCase {
  std::string name;
  std::vector<Item> stored;
  std::vector<Item> incoming;
  std::size_t created;
  std::size_t updated;
  std::size_t skipped;
  Keys winners;
  Keys overwritten;
};

class LastWriterWinsTest : public ::testing::TestWithParam<LwwCase> {};

TEST_P(LastWriterWinsTest, CountsWinnersAndArchivesWhatTheyReplace) {
  const LwwCase& test_case = GetParam();
  const ItemIndex stored = stored_index(test_case.stored);

  const auto result = apply_last_writer_wins(stored, test_case.incoming, new_nonce, now);

  EXPECT_EQ(result.created, test_case.created);
  EXPECT_EQ(result.updated, test_case.updated);
  EXPECT_EQ(result.skipped, test_case.skipped);
  EXPECT_EQ(keys_of(result.winners), test_case.winners);
  Keys overwritten;
  for (const HistoryRecord& record : result.overwritten) {
    overwritten.push_back(record.item->key);
    // The archived copy is the stored version, tagged with the commit's new nonce.
    EXPECT_EQ(*record.item, *stored.find(record.item->key));
    EXPECT_EQ(record.nonce, new_nonce);
    EXPECT_EQ(record.archived_at, now);
  }
  EXPECT_EQ(overwritten, test_case.overwritten);
}

INSTANTIATE_TEST_SUITE_P(
    Table, LastWriterWinsTest,
    ::testing::Values(
        LwwCase{"NewKeyIsCreated", {}, {make_item("a", 1)}, 1, 0, 0, {"a"}, {}},
        LwwCase{
            "NewerOverwrites", {make_item("a", 10)}, {make_item("a", 11)}, 0, 1, 0, {"a"}, {"a"}},
        LwwCase{"TieGoesToIncoming",
                {make_item("a", 10)},
                {make_item("a", 10, "Wallet", "new")},
                0,
                1,
                0,
                {"a"},
                {"a"}},
        LwwCase{"OlderIsSkipped", {make_item("a", 10)}, {make_item("a", 9)}, 0, 0, 1, {}, {}},
        LwwCase{"NewerRevivesTombstone",
                {make_tombstone("a", 10)},
                {make_item("a", 11)},
                0,
                1,
                0,
                {"a"},
                {"a"}},
        LwwCase{"OlderDoesNotReviveTombstone",
                {make_tombstone("a", 10)},
                {make_item("a", 9)},
                0,
                0,
                1,
                {},
                {}},
        LwwCase{"NewerTombstoneDeletes",
                {make_item("a", 10)},
                {make_tombstone("a", 12)},
                0,
                1,
                0,
                {"a"},
                {"a"}},
        LwwCase{"KeyAloneIdentifiesTheItem",
                {make_item("a", 10, "Wallet")},
                {make_item("a", 11, "Account")},
                0,
                1,
                0,
                {"a"},
                {"a"}},
        LwwCase{"Mixed",
                {make_item("a", 10), make_item("b", 10)},
                {make_item("a", 11), make_item("b", 9), make_item("c", 1)},
                1,
                1,
                1,
                {"a", "c"},
                {"a"}}),
    [](const auto& info) { return info.param.name; });

TEST(LastWriterWinsTest, WinnersCarryTheIncomingContent) {
  const ItemIndex stored = stored_index({make_item("a", 10, "Wallet", "old")});
  const auto result =
      apply_last_writer_wins(stored, {make_item("a", 10, "Account", "new")}, new_nonce, now);
  ASSERT_EQ(result.winners.size(), 1U);
  EXPECT_EQ(*result.winners[0], make_item("a", 10, "Account", "new"));
  ASSERT_EQ(result.overwritten.size(), 1U);
  EXPECT_EQ(result.overwritten[0].item->data, "old");
}

struct DuplicateCase {
  std::string name;
  std::vector<Item> items;
  std::vector<Item> kept;
  std::size_t discarded;
};

class ResolveDuplicateItemsTest : public ::testing::TestWithParam<DuplicateCase> {};

TEST_P(ResolveDuplicateItemsTest, KeepsOneWinnerPerKeyInKeyOrder) {
  const DuplicateCase& test_case = GetParam();
  std::vector<Item> items = test_case.items;
  EXPECT_EQ(resolve_duplicate_items(items), test_case.discarded);
  EXPECT_EQ(items, test_case.kept);
}

INSTANTIATE_TEST_SUITE_P(
    Table, ResolveDuplicateItemsTest,
    ::testing::Values(
        DuplicateCase{"NoDuplicatesSortedByKey",
                      {make_item("b", 1), make_item("a", 1)},
                      {make_item("a", 1), make_item("b", 1)},
                      0},
        DuplicateCase{"LargerTimestampLater",
                      {make_item("a", 1, "Wallet", "x"), make_item("a", 2, "Wallet", "y")},
                      {make_item("a", 2, "Wallet", "y")},
                      1},
        DuplicateCase{"LargerTimestampEarlier",
                      {make_item("a", 2, "Wallet", "x"), make_item("a", 1, "Wallet", "y")},
                      {make_item("a", 2, "Wallet", "x")},
                      1},
        DuplicateCase{"TieGoesToTheLaterCopy",
                      {make_item("a", 5, "Wallet", "first"), make_item("b", 1),
                       make_item("a", 5, "Wallet", "second"), make_item("a", 5, "Wallet", "third")},
                      {make_item("a", 5, "Wallet", "third"), make_item("b", 1)},
                      2},
        DuplicateCase{"ManyKeys",
                      {make_item("c", 3), make_item("a", 1), make_item("c", 4), make_item("b", 2),
                       make_item("a", 0)},
                      {make_item("a", 1), make_item("b", 2), make_item("c", 4)},
                      2}),
    [](const auto& info) { return info.param.name; });

TEST(LaterCopyWinsTest, MissingTimestampIsSmallest) {
  EXPECT_TRUE(later_copy_wins(std::nullopt, std::nullopt));  // tie: the later one
  EXPECT_TRUE(later_copy_wins(std::nullopt, 0));
  EXPECT_FALSE(later_copy_wins(0, std::nullopt));
  EXPECT_TRUE(later_copy_wins(3, 3));
  EXPECT_TRUE(later_copy_wins(3, 4));
  EXPECT_FALSE(later_copy_wins(4, 3));
}

}  // namespace
}  // namespace primesync::sync
