#include "store/rocksdb/key_codec.hpp"

#include <gtest/gtest.h>

#include <string>

#include "primesync/error.hpp"

namespace primesync::rocksdb_codec {
namespace {

TEST(KeyCodec, UserPrefixIsLengthThenBytes) {
  EXPECT_EQ(user_prefix("ab"), std::string("\0\0\0\x02"
                                           "ab",
                                           6));
  EXPECT_EQ(user_prefix(""), std::string(4, '\0'));
}

TEST(KeyCodec, NoUserPrefixIsAPrefixOfAnotherUsersKeys) {
  const std::string a_row = user_row_key("a", "b");
  const std::string ab_prefix = user_prefix("ab");
  EXPECT_FALSE(a_row.starts_with(ab_prefix));
  EXPECT_FALSE(user_row_key("ab", "").starts_with(user_prefix("a")));
  EXPECT_TRUE(user_row_key("a", "b").starts_with(user_prefix("a")));
}

TEST(KeyCodec, RowsOfAUserSortInRowByteOrder) {
  EXPECT_LT(user_row_key("u", ""), user_row_key("u", "a"));
  EXPECT_LT(user_row_key("u", "a"), user_row_key("u", std::string("a\0", 2)));
  EXPECT_LT(user_row_key("u", "ab"), user_row_key("u", "b"));
  EXPECT_LT(user_row_key("u", "z"), user_row_key("u", "\xff"));
}

TEST(KeyCodec, HistoryKeysSortByUserThenNonce) {
  EXPECT_LT(history_key("u", 2, "z"), history_key("u", 10, "a"));
  EXPECT_LT(history_key("u", -1, "a"), history_key("u", 0, "a"));
  EXPECT_TRUE(history_key("u", 7, "k").starts_with(user_prefix("u")));
}

TEST(KeyCodec, OutboxKeysSortNumericallyAndRoundTrip) {
  EXPECT_LT(outbox_key(255), outbox_key(256));
  EXPECT_LT(outbox_key(1), outbox_key(1ULL << 40U));
  EXPECT_EQ(outbox_sequence(outbox_key(123456789)), 123456789U);
  EXPECT_THROW((void)outbox_sequence("short"), StoreUnavailable);
}

TEST(KeyCodec, UserPrefixSizeFindsTheWholePrefixOrNothing) {
  EXPECT_EQ(user_prefix_size(user_row_key("abc", "item")), 7U);
  EXPECT_EQ(user_prefix_size(user_prefix("abc")), 7U);
  EXPECT_EQ(user_prefix_size(user_prefix("abc").substr(0, 6)), 0U);
  EXPECT_EQ(user_prefix_size("ab"), 0U);
}

}  // namespace
}  // namespace primesync::rocksdb_codec
