// Binary encoding of the stored records (the column family values). Each value is
// a format version byte followed by the fields: strings as varint length + bytes
// (item keys and data hex-packed, see byte_codec.hpp),
// integers as (zigzag) varints, booleans as one byte 0 or 1.
//
// A field that is already part of the RocksDB key is not repeated in the value
// (the key is its only source of truth): the user id of a user record, the key of
// an item in `items`, the instance id of a device, the sequence of an outbox entry.
// Decoders take those from the caller.
//
// Decoding bytes that are not a record of the expected kind throws StoreUnavailable.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "primesync/model.hpp"

namespace primesync::rocksdb_codec {

// The version written. Version 2 stores lowercase-hex keys and data as the bytes
// they spell (half the bytes to log, flush, compact and cache); version 1 values
// are still read. A decoder rejects versions it does not know.
inline constexpr std::uint8_t kRecordFormatVersion = 2;
inline constexpr std::uint8_t kHexPackedTextVersion = 2;
inline constexpr std::uint8_t kOldestRecordFormatVersion = 1;

[[nodiscard]] std::string encode_user(const UserRecord& user);
[[nodiscard]] UserRecord decode_user(std::string_view user_id, std::string_view bytes);

[[nodiscard]] std::string encode_item(const Item& item);
[[nodiscard]] Item decode_item(std::string_view item_key, std::string_view bytes);

[[nodiscard]] std::string encode_lock(const Lock& lock);
[[nodiscard]] Lock decode_lock(std::string_view bytes);

[[nodiscard]] std::string encode_device(const Device& device);
[[nodiscard]] Device decode_device(std::string_view instance_id, std::string_view bytes);

[[nodiscard]] std::string encode_history(const HistoryRecord& record);
[[nodiscard]] HistoryRecord decode_history(std::string_view bytes);
// Only the archive time, which is all that pruning needs.
[[nodiscard]] Millis decode_history_archived_at(std::string_view bytes);

[[nodiscard]] std::string encode_outbox(const OutboxEntry& entry);
[[nodiscard]] OutboxEntry decode_outbox(std::uint64_t sequence, std::string_view bytes);

}  // namespace primesync::rocksdb_codec
