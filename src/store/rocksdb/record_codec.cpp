#include "store/rocksdb/record_codec.hpp"

#include <memory>
#include <stdexcept>
#include <utility>

#include "store/rocksdb/byte_codec.hpp"

namespace primesync::rocksdb_codec {

namespace {

// Starts a value: the version byte, with room for the fields estimated by the caller.
std::string start_value(std::size_t field_bytes) {
  std::string value;
  value.reserve(1 + field_bytes);
  value.push_back(static_cast<char>(kRecordFormatVersion));
  return value;
}

// Reads a value's fields after its version byte, in the layout of that version.
class ValueReader : public ByteReader {
 public:
  ValueReader(std::string_view bytes, std::string_view what) : ByteReader(bytes, what) {
    version_ = byte();
    if (version_ < kOldestRecordFormatVersion || version_ > kRecordFormatVersion) {
      fail("unknown format version");
    }
  }

  // Keys and data: hex-packed from version 2 on, plain before.
  std::string text() {
    if (version_ >= kHexPackedTextVersion) return hex_packed();
    return std::string(length_prefixed());
  }

 private:
  std::uint8_t version_ = 0;
};

// Every field of an item but its key (which lives in the `items` key, or is written
// separately where it does not).
void write_item_body(ByteWriter& writer, const Item& item) {
  writer.length_prefixed(item.data_type);
  writer.hex_packed(item.data);
  writer.signed_varint(item.data_timestamp);
  writer.boolean(item.is_deleted);
}

Item read_item_body(ValueReader& reader, std::string key) {
  Item item;
  item.key = std::move(key);
  item.data_type = reader.length_prefixed();
  item.data = reader.text();
  item.data_timestamp = reader.signed_varint();
  item.is_deleted = reader.boolean();
  return item;
}

// Upper bound of the varints and lengths around the strings of a record.
constexpr std::size_t kVarintSlack = 32;

std::size_t item_size_estimate(const Item& item) {
  return item.key.size() + item.data_type.size() + item.data.size() + kVarintSlack;
}

}  // namespace

std::string encode_user(const UserRecord& user) {
  std::string value = start_value(user.salt.size() + user.pwd_hash.size() + kVarintSlack);
  ByteWriter writer(value);
  writer.length_prefixed(user.salt);
  writer.length_prefixed(user.pwd_hash);
  writer.signed_varint(user.nonce);
  writer.boolean(user.is_prime);
  writer.signed_varint(user.created_at);
  writer.varint(user.revision);
  return value;
}

UserRecord decode_user(std::string_view user_id, std::string_view bytes) {
  ValueReader reader(bytes, "users value");
  UserRecord user;
  user.user_id = user_id;
  user.salt = reader.length_prefixed();
  user.pwd_hash = reader.length_prefixed();
  user.nonce = reader.signed_varint();
  user.is_prime = reader.boolean();
  user.created_at = reader.signed_varint();
  user.revision = reader.varint();
  reader.expect_end();
  return user;
}

std::string encode_item(const Item& item) {
  std::string value = start_value(item_size_estimate(item));
  ByteWriter writer(value);
  write_item_body(writer, item);
  return value;
}

Item decode_item(std::string_view item_key, std::string_view bytes) {
  ValueReader reader(bytes, "items value");
  Item item = read_item_body(reader, std::string(item_key));
  reader.expect_end();
  return item;
}

std::string encode_lock(const Lock& lock) {
  std::string value = start_value(item_size_estimate(lock.item) + lock.pwd_hash.size());
  ByteWriter writer(value);
  writer.hex_packed(lock.item.key);
  write_item_body(writer, lock.item);
  writer.length_prefixed(lock.pwd_hash);
  return value;
}

Lock decode_lock(std::string_view bytes) {
  ValueReader reader(bytes, "locks value");
  Lock lock;
  std::string key = reader.text();
  lock.item = read_item_body(reader, std::move(key));
  lock.pwd_hash = reader.length_prefixed();
  reader.expect_end();
  return lock;
}

std::string encode_device(const Device& device) {
  std::string value = start_value(kVarintSlack);
  ByteWriter writer(value);
  writer.signed_varint(device.created_at);
  writer.signed_varint(device.last_seen_at);
  return value;
}

Device decode_device(std::string_view instance_id, std::string_view bytes) {
  ValueReader reader(bytes, "devices value");
  Device device;
  device.instance_id = instance_id;
  device.created_at = reader.signed_varint();
  device.last_seen_at = reader.signed_varint();
  reader.expect_end();
  return device;
}

// archived_at comes first so that pruning decodes only the first field.
std::string encode_history(const HistoryRecord& record) {
  if (!record.item) throw std::invalid_argument("rocksdb store: history record without an item");
  std::string value = start_value(item_size_estimate(*record.item));
  ByteWriter writer(value);
  writer.signed_varint(record.archived_at);
  writer.signed_varint(record.nonce);
  writer.hex_packed(record.item->key);
  write_item_body(writer, *record.item);
  return value;
}

HistoryRecord decode_history(std::string_view bytes) {
  ValueReader reader(bytes, "history value");
  HistoryRecord record;
  record.archived_at = reader.signed_varint();
  record.nonce = reader.signed_varint();
  std::string key = reader.text();
  record.item = std::make_shared<const Item>(read_item_body(reader, std::move(key)));
  reader.expect_end();
  return record;
}

Millis decode_history_archived_at(std::string_view bytes) {
  ValueReader reader(bytes, "history value");
  return reader.signed_varint();
}

std::string encode_outbox(const OutboxEntry& entry) {
  std::string value = start_value(entry.user_id.size() + entry.message.size() + kVarintSlack);
  ByteWriter writer(value);
  writer.length_prefixed(entry.user_id);
  writer.signed_varint(entry.created_at);
  writer.length_prefixed(entry.message);
  return value;
}

OutboxEntry decode_outbox(std::uint64_t sequence, std::string_view bytes) {
  ValueReader reader(bytes, "outbox value");
  OutboxEntry entry;
  entry.sequence = sequence;
  entry.user_id = reader.length_prefixed();
  entry.created_at = reader.signed_varint();
  entry.message = reader.length_prefixed();
  reader.expect_end();
  return entry;
}

}  // namespace primesync::rocksdb_codec
