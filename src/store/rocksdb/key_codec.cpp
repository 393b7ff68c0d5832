#include "store/rocksdb/key_codec.hpp"

#include <limits>
#include <stdexcept>

#include "store/rocksdb/byte_codec.hpp"

namespace primesync::rocksdb_codec {

namespace {

constexpr std::size_t kLengthBytes = 4;

// Every key starts the same way; reserving up front avoids regrowth for the suffix.
std::string start_key(std::string_view user_id, std::size_t suffix_size) {
  if (user_id.size() > std::numeric_limits<std::uint32_t>::max()) {
    throw std::invalid_argument("rocksdb store: user id longer than 4 GiB");
  }
  std::string key;
  key.reserve(kLengthBytes + user_id.size() + suffix_size);
  ByteWriter writer(key);
  writer.fixed32_be(static_cast<std::uint32_t>(user_id.size()));
  writer.raw(user_id);
  return key;
}

}  // namespace

std::string user_prefix(std::string_view user_id) {
  return start_key(user_id, 0);
}

std::string user_range_end(std::string_view user_id) {
  std::string end = start_key(user_id, 0);
  // Strip trailing 0xff bytes, then raise the last one: the prefix's successor. The
  // length bytes in front are never all 0xff, so something is always left.
  while (!end.empty() && static_cast<std::uint8_t>(end.back()) == 0xFFU) end.pop_back();
  end.back() = static_cast<char>(static_cast<std::uint8_t>(end.back()) + 1U);
  return end;
}

std::string user_of_key(std::string_view key) {
  ByteReader reader(key, "user key");
  const std::uint32_t size = reader.fixed32_be();
  std::string user_id(reader.raw(size));
  reader.expect_end();
  return user_id;
}

std::string user_row_key(std::string_view user_id, std::string_view row) {
  std::string key = start_key(user_id, row.size());
  key.append(row);
  return key;
}

std::string history_key(std::string_view user_id, std::int64_t nonce, std::string_view item_key) {
  std::string key = start_key(user_id, 8 + item_key.size());
  ByteWriter writer(key);
  // Flipping the sign bit keeps negative nonces (never expected) ordered before positives.
  writer.fixed64_be(static_cast<std::uint64_t>(nonce) ^ (std::uint64_t{1} << 63U));
  writer.raw(item_key);
  return key;
}

std::string outbox_key(std::uint64_t sequence) {
  std::string key;
  key.reserve(8);
  ByteWriter(key).fixed64_be(sequence);
  return key;
}

std::uint64_t outbox_sequence(std::string_view key) {
  ByteReader reader(key, "outbox key");
  const std::uint64_t sequence = reader.fixed64_be();
  reader.expect_end();
  return sequence;
}

std::size_t user_prefix_size(std::string_view key) noexcept {
  if (key.size() < kLengthBytes) return 0;
  std::size_t user_id_size = 0;
  for (std::size_t i = 0; i < kLengthBytes; ++i) {
    user_id_size = (user_id_size << 8U) | static_cast<std::uint8_t>(key[i]);
  }
  const std::size_t prefix_size = kLengthBytes + user_id_size;
  return prefix_size <= key.size() ? prefix_size : 0;
}

}  // namespace primesync::rocksdb_codec
