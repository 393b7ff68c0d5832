#include "store/rocksdb/record_codec.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "primesync/error.hpp"

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

TEST(RecordCodec, EncodingIsCompact) {
  const Item item{.key = "k", .data_type = "t", .data = "d", .data_timestamp = 1};
  EXPECT_EQ(encode_item(item).size(), 7U);  // version, 2 x (length, byte), timestamp, flag
}

}  // namespace
}  // namespace primesync::rocksdb_codec
