// How the MongoDB store lays out a user's data in documents (see mongodb_store.hpp
// for the collections). Field names are part of the stored format: change them
// only with a migration.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "primesync/model.hpp"
#include "store/mongodb/bson_document.hpp"

namespace primesync::mongodb {

namespace field {
inline constexpr const char* kId = "_id";
inline constexpr const char* kUserId = "userId";
inline constexpr const char* kKey = "key";
inline constexpr const char* kRevision = "revision";
inline constexpr const char* kLock = "lock";
inline constexpr const char* kDevices = "devices";
inline constexpr const char* kWriteId = "writeId";
inline constexpr const char* kOrigin = "origin";
inline constexpr const char* kSequence = "sequence";
inline constexpr const char* kArchivedAt = "archivedAt";
inline constexpr const char* kCreatedAt = "createdAt";
// The arrays of a commit's parts (its writes outside the user document).
inline constexpr const char* kDeletes = "deletes";
inline constexpr const char* kItems = "items";
inline constexpr const char* kHistory = "history";
inline constexpr const char* kOutbox = "outbox";
}  // namespace field

// A user document, decoded.
struct StoredUser {
  UserRecord record;
  std::optional<Lock> lock;
  std::vector<Device> devices;
};

// The user record's own fields (not _id, revision, lock, devices), for $set or insert.
void append_user_fields(BsonDocument& document, const UserRecord& user);
[[nodiscard]] StoredUser decode_user(const bson_t* document);

// A deleted user's document keeps only its _id and revision, so that the revision
// keeps rising across the deletion (an instance's cached state from before it can
// never be confirmed again) and a stale commit record is still withdrawn.
[[nodiscard]] BsonDocument encode_deleted_user(std::string_view user_id, std::uint64_t revision);
// False for a deleted user's document (one without the record's fields).
[[nodiscard]] bool holds_user(const bson_t* document);
// The name of a field only a live user's document has (to list live users).
[[nodiscard]] const char* live_user_field() noexcept;
[[nodiscard]] std::uint64_t decode_revision(const bson_t* document);

[[nodiscard]] BsonDocument encode_lock(const Lock& lock);
// The field of one device inside the user document's `devices` ("d" + the id in
// hex): instance ids may hold '.' or '$', which field names may not.
[[nodiscard]] std::string device_field(std::string_view instance_id);
[[nodiscard]] BsonDocument encode_device(const Device& device);

[[nodiscard]] BsonDocument encode_item(std::string_view user_id, const Item& item);
[[nodiscard]] Item decode_item(const bson_t* document);

[[nodiscard]] BsonDocument encode_history(std::string_view id, std::string_view user_id,
                                          const HistoryRecord& record);
// An outbox entry's _id: its instance and sequence (sequences are per instance,
// so two instances may hand out the same one).
[[nodiscard]] std::string outbox_id(std::string_view origin, std::uint64_t sequence);
[[nodiscard]] BsonDocument encode_outbox(std::uint64_t sequence, std::string_view origin,
                                         const OutboxEntry& entry);
[[nodiscard]] OutboxEntry decode_outbox(const bson_t* document);

}  // namespace primesync::mongodb
