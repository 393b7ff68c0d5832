#include "store/rocksdb/record_codec.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "primesync/error.hpp"
#include "store/rocksdb/byte_codec.hpp"

namespace primesync::rocksdb_codec {
namespace {

Item sample_item() {
  return Item{.key = "settings/k1",
              .data_type = "setting",
              .data = std::string("cipher\0text\xff", 12),
              .data_timestamp = 1700000000123,
              .is_deleted = true};
}

// Every strict prefix, the value with a byte appended, and the value with another
// version byte must all fail to decode, and with StoreUnavailable only.
void expect_damage_detected(const std::string& encoded,
                            const std::function<void(std::string_view)>& decode) {
  for (std::size_t size = 0; size < encoded.size(); ++size) {
    EXPECT_THROW(decode(std::string_view(encoded).substr(0, size)), StoreUnavailable)
        << "truncated to " << size << " bytes";
  }
  EXPECT_THROW(decode(encoded + "x"), StoreUnavailable) << "trailing byte";
  std::string other_version = encoded;
  other_version[0] = static_cast<char>(kRecordFormatVersion + 1);
  EXPECT_THROW(decode(other_version), StoreUnavailable) << "unknown version";
}

TEST(RecordCodec, UserRoundTripsWithIdFromTheKey) {
  const UserRecord user{.user_id = "user-1",
                        .salt = "salt",
                        .pwd_hash = "hash",
                        .nonce = 42,
                        .is_prime = true,
                        .created_at = -5};
  const std::string encoded = encode_user(user);
  EXPECT_EQ(encoded.find("user-1"), std::string::npos) << "the id lives in the key";
  EXPECT_EQ(decode_user("user-1", encoded), user);
  expect_damage_detected(encoded, [](std::string_view bytes) { (void)decode_user("u", bytes); });
}

TEST(RecordCodec, ItemRoundTripsWithKeyFromTheKey) {
  const Item item = sample_item();
  const std::string encoded = encode_item(item);
  EXPECT_EQ(decode_item(item.key, encoded), item);
  expect_damage_detected(encoded, [](std::string_view bytes) { (void)decode_item("k", bytes); });
}

TEST(RecordCodec, LockRoundTrips) {
  const Lock lock{.item = sample_item(), .pwd_hash = "pwd"};
  const std::string encoded = encode_lock(lock);
  EXPECT_EQ(decode_lock(encoded), lock);
  expect_damage_detected(encoded, [](std::string_view bytes) { (void)decode_lock(bytes); });
}

TEST(RecordCodec, DeviceRoundTrips) {
  const Device device{.instance_id = "phone", .created_at = 1, .last_seen_at = 1700000000000};
  const std::string encoded = encode_device(device);
  EXPECT_EQ(decode_device("phone", encoded), device);
  expect_damage_detected(encoded, [](std::string_view bytes) { (void)decode_device("d", bytes); });
}

TEST(RecordCodec, HistoryRoundTripsAndArchiveTimeDecodesAlone) {
  const HistoryRecord record{.nonce = 9,
                             .archived_at = 1700000000999,
                             .item = std::make_shared<const Item>(sample_item())};
  const std::string encoded = encode_history(record);
  const HistoryRecord decoded = decode_history(encoded);
  EXPECT_EQ(decoded.nonce, record.nonce);
  EXPECT_EQ(decoded.archived_at, record.archived_at);
  ASSERT_NE(decoded.item, nullptr);
  EXPECT_EQ(*decoded.item, *record.item);
  EXPECT_EQ(decode_history_archived_at(encoded), record.archived_at);
  expect_damage_detected(encoded, [](std::string_view bytes) { (void)decode_history(bytes); });
}

TEST(RecordCodec, HistoryWithoutItemIsRejectedWhenEncoding) {
  EXPECT_THROW((void)encode_history(HistoryRecord{}), std::invalid_argument);
}

TEST(RecordCodec, OutboxRoundTripsWithSequenceFromTheKey) {
  const OutboxEntry entry{
      .sequence = 77, .user_id = "u", .message = R"({"type":"sync"})", .created_at = 3};
  const std::string encoded = encode_outbox(entry);
  const OutboxEntry decoded = decode_outbox(77, encoded);
  EXPECT_EQ(decoded.sequence, 77U);
  EXPECT_EQ(decoded.user_id, entry.user_id);
  EXPECT_EQ(decoded.message, entry.message);
  EXPECT_EQ(decoded.created_at, entry.created_at);
  expect_damage_detected(encoded, [](std::string_view bytes) { (void)decode_outbox(1, bytes); });
}

// What clients send: a 128-digit key and hex ciphertext.
Item hex_item() {
  return Item{.key = std::string(64, 'a') + std::string(64, '9'),
              .data_type = "Account",
              .data = "0123456789abcdef" + std::string(1000, 'c'),
              .data_timestamp = 1700000000123};
}

TEST(RecordCodec, HexKeysAndDataAreStoredAtHalfTheirSize) {
  const Item item = hex_item();
  const std::string item_value = encode_item(item);
  EXPECT_LT(item_value.size(), item.data.size() / 2 + 20);
  EXPECT_EQ(decode_item(item.key, item_value), item);

  const HistoryRecord record{
      .nonce = 3, .archived_at = 5, .item = std::make_shared<const Item>(item)};
  const std::string history_value = encode_history(record);
  EXPECT_LT(history_value.size(), (item.key.size() + item.data.size()) / 2 + 30);
  EXPECT_EQ(*decode_history(history_value).item, item);
  expect_damage_detected(history_value,
                         [](std::string_view bytes) { (void)decode_history(bytes); });

  const Lock lock{.item = item, .pwd_hash = "pwd"};
  const std::string lock_value = encode_lock(lock);
  EXPECT_LT(lock_value.size(), (item.key.size() + item.data.size()) / 2 + 30);
  EXPECT_EQ(decode_lock(lock_value), lock);
}

// Values written before hex packing (format version 1: every string plain) are
// read as they were written: a store upgraded in place keeps working.
TEST(RecordCodec, VersionOneValuesStillDecode) {
  const Item item = hex_item();
  std::string item_v1(1, '\x01');
  ByteWriter item_writer(item_v1);
  item_writer.length_prefixed(item.data_type);
  item_writer.length_prefixed(item.data);
  item_writer.signed_varint(item.data_timestamp);
  item_writer.boolean(item.is_deleted);
  EXPECT_EQ(decode_item(item.key, item_v1), item);

  std::string history_v1(1, '\x01');
  ByteWriter history_writer(history_v1);
  history_writer.signed_varint(5);  // archived at
  history_writer.signed_varint(3);  // nonce
  history_writer.length_prefixed(item.key);
  history_writer.raw(std::string_view(item_v1).substr(1));
  const HistoryRecord record = decode_history(history_v1);
  EXPECT_EQ(record.archived_at, 5);
  EXPECT_EQ(record.nonce, 3);
  EXPECT_EQ(*record.item, item);

  std::string lock_v1(1, '\x01');
  ByteWriter lock_writer(lock_v1);
  lock_writer.length_prefixed(item.key);
  lock_writer.raw(std::string_view(item_v1).substr(1));
  lock_writer.length_prefixed("pwd");
  EXPECT_EQ(decode_lock(lock_v1), (Lock{.item = item, .pwd_hash = "pwd"}));
}

TEST(RecordCodec, EncodingIsCompact) {
  const Item item{.key = "k", .data_type = "t", .data = "d", .data_timestamp = 1};
  EXPECT_EQ(encode_item(item).size(), 7U);  // version, 2 x (length, byte), timestamp, flag
}

}  // namespace
}  // namespace primesync::rocksdb_codec
