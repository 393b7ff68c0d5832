// Key layout of the column families. Integers are fixed-width big-endian so that
// RocksDB's bytewise order is numeric order.
//
//   users, locks   user
//   items          user, item key        (a user's items iterate in item-key byte order)
//   devices        user, instance id
//   history        user, nonce, item key
//   outbox         sequence (u64)
//
// `user` is a 4-byte big-endian length followed by the user id. User ids are
// arbitrary strings, so the length is what keeps one user's keys a contiguous range
// that no other user's range overlaps: "a" and "ab" get prefixes 00000001'a' and
// 00000002'ab', and neither is a prefix of the other.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace primesync::rocksdb_codec {

// The key of a user's single-row families (users, locks) and the prefix of all the
// user's rows in the others.
[[nodiscard]] std::string user_prefix(std::string_view user_id);

// The first key after every key that starts with the user's prefix: the end of the
// user's range in each family (for a range deletion).
[[nodiscard]] std::string user_range_end(std::string_view user_id);

// The user id of a users/locks key; throws StoreUnavailable when it is not one.
[[nodiscard]] std::string user_of_key(std::string_view key);

// A row under a user: an item key (items) or an instance id (devices).
[[nodiscard]] std::string user_row_key(std::string_view user_id, std::string_view row);

[[nodiscard]] std::string history_key(std::string_view user_id, std::int64_t nonce,
                                      std::string_view item_key);

[[nodiscard]] std::string outbox_key(std::uint64_t sequence);

// The sequence of an outbox key; throws StoreUnavailable when it is not 8 bytes.
[[nodiscard]] std::uint64_t outbox_sequence(std::string_view key);

// The length of the user prefix `key` starts with, or 0 when `key` does not start
// with a whole one. Used by the prefix extractor behind the per-user bloom filters.
[[nodiscard]] std::size_t user_prefix_size(std::string_view key) noexcept;

}  // namespace primesync::rocksdb_codec
