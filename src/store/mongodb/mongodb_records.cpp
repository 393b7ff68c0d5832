#include "store/mongodb/mongodb_records.hpp"

#include "store/hex_text.hpp"

namespace primesync::mongodb {

namespace {

constexpr const char* kSalt = "salt";
constexpr const char* kPwdHash = "pwdHash";
constexpr const char* kNonce = "nonce";
constexpr const char* kIsPrime = "isPrime";
constexpr const char* kDataType = "dataType";
constexpr const char* kData = "data";
constexpr const char* kDataTimestamp = "dataTimestamp";
constexpr const char* kIsDeleted = "isDeleted";
constexpr const char* kInstanceId = "instanceId";
constexpr const char* kLastSeenAt = "lastSeenAt";
constexpr const char* kNonceOfHistory = "nonce";
constexpr const char* kItem = "item";
constexpr const char* kMessage = "message";

void append_item_fields(BsonDocument& document, const Item& item) {
  document.append(kDataType, item.data_type)
      .append_binary(kData, item.data)
      .append(kDataTimestamp, item.data_timestamp)
      .append_bool(kIsDeleted, item.is_deleted);
}

Item decode_item_fields(const BsonReader& reader, std::string key) {
  return Item{std::move(key), reader.text(kDataType), reader.binary(kData),
              reader.integer(kDataTimestamp), reader.boolean(kIsDeleted)};
}

}  // namespace

void append_user_fields(BsonDocument& document, const UserRecord& user) {
  document.append(kSalt, user.salt)
      .append(kPwdHash, user.pwd_hash)
      .append(kNonce, user.nonce)
      .append_bool(kIsPrime, user.is_prime)
      .append(field::kCreatedAt, user.created_at);
}

BsonDocument encode_deleted_user(std::string_view user_id, std::uint64_t revision) {
  BsonDocument document;
  document.append(field::kId, user_id)
      .append(field::kRevision, static_cast<std::int64_t>(revision));
  return document;
}

bool holds_user(const bson_t* document) {
  return BsonReader(document, "users").has(kSalt);
}

const char* live_user_field() noexcept {
  return kSalt;
}

std::uint64_t decode_revision(const bson_t* document) {
  return static_cast<std::uint64_t>(BsonReader(document, "users").integer(field::kRevision));
}

StoredUser decode_user(const bson_t* document) {
  const BsonReader reader(document, "users");
  StoredUser stored;
  UserRecord& user = stored.record;
  user.user_id = reader.text(field::kId);
  user.salt = reader.text(kSalt);
  user.pwd_hash = reader.text(kPwdHash);
  user.nonce = reader.integer(kNonce);
  user.is_prime = reader.boolean(kIsPrime);
  user.created_at = reader.integer(field::kCreatedAt);
  user.revision = static_cast<std::uint64_t>(reader.integer(field::kRevision));

  if (const auto lock = reader.child(field::kLock)) {
    const BsonReader fields(lock->get(), "users.lock");
    stored.lock = Lock{decode_item_fields(fields, fields.text(field::kKey)), fields.text(kPwdHash)};
  }
  if (const auto devices = reader.child(field::kDevices)) {
    for_each_document(reader, devices->get(), [&](const bson_t* element) {
      const BsonReader device(element, "users.devices");
      stored.devices.push_back(Device{device.text(kInstanceId), device.integer(field::kCreatedAt),
                                      device.integer(kLastSeenAt)});
    });
  }
  return stored;
}

BsonDocument encode_lock(const Lock& lock) {
  BsonDocument document;
  document.append(field::kKey, lock.item.key);
  append_item_fields(document, lock.item);
  document.append(kPwdHash, lock.pwd_hash);
  return document;
}

std::string device_field(std::string_view instance_id) {
  std::string field = "d";
  hex_text::append_hex(field, instance_id);
  return field;
}

BsonDocument encode_device(const Device& device) {
  BsonDocument document;
  document.append(kInstanceId, device.instance_id)
      .append(field::kCreatedAt, device.created_at)
      .append(kLastSeenAt, device.last_seen_at);
  return document;
}

BsonDocument encode_item(std::string_view user_id, const Item& item) {
  BsonDocument document;
  document.append(field::kUserId, user_id).append(field::kKey, item.key);
  append_item_fields(document, item);
  return document;
}

Item decode_item(const bson_t* document) {
  const BsonReader reader(document, "sync_items");
  return decode_item_fields(reader, reader.text(field::kKey));
}

BsonDocument encode_history(std::string_view id, std::string_view user_id,
                            const HistoryRecord& record) {
  BsonDocument item;
  if (record.item) {
    item.append(field::kKey, record.item->key);
    append_item_fields(item, *record.item);
  }
  BsonDocument document;
  document.append(field::kId, id)
      .append(field::kUserId, user_id)
      .append(kNonceOfHistory, record.nonce)
      .append(field::kArchivedAt, record.archived_at)
      .append_document(kItem, item);
  return document;
}

std::string outbox_id(std::string_view origin, std::uint64_t sequence) {
  return std::string(origin) + ":" + std::to_string(sequence);
}

BsonDocument encode_outbox(std::uint64_t sequence, std::string_view origin,
                           const OutboxEntry& entry) {
  BsonDocument document;
  document.append(field::kId, outbox_id(origin, sequence))
      .append(field::kSequence, static_cast<std::int64_t>(sequence))
      .append(field::kOrigin, origin)
      .append(field::kUserId, entry.user_id)
      .append(kMessage, entry.message)
      .append(field::kCreatedAt, entry.created_at);
  return document;
}

OutboxEntry decode_outbox(const bson_t* document) {
  const BsonReader reader(document, "sync_outbox");
  return OutboxEntry{static_cast<std::uint64_t>(reader.integer(field::kSequence)),
                     reader.text(field::kUserId), reader.text(kMessage),
                     reader.integer(field::kCreatedAt)};
}

}  // namespace primesync::mongodb
