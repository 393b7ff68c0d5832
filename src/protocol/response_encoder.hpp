// Typed responses → the JSON envelope of PROTOCOL.md §1:
// {"code":0,"message":"success","data":{...}} or {"code":N,"message":"...","data":null}.
// Every function appends to `out` (after reserving roughly what it will add).
#pragma once

#include <string>
#include <string_view>

#include "primesync/api.hpp"
#include "primesync/error.hpp"
#include "primesync/model.hpp"
#include "protocol/json_writer.hpp"

namespace primesync::protocol {

void encode_success(const CheckResponse& response, std::string& out);
void encode_success(const WriteResponse& response, std::string& out);
void encode_success(const DownloadResponse& response, std::string& out);
void encode_success(const LockResponse& response, std::string& out);
void encode_success(const ChangeLockResponse& response, std::string& out);
void encode_success(const UserInfoResponse& response, std::string& out);
void encode_success(const LoginResponse& response, std::string& out);
void encode_success(const EmptyResponse& response, std::string& out);
void encode_success(const DevicesResponse& response, std::string& out);
void encode_success(const DeleteUserResponse& response, std::string& out);

// `message` is the specific message, e.g. "localData[3].key: expected string"; when
// empty, the default message of error_info(error) is used.
void encode_failure(Error error, std::string_view message, std::string& out);

// The fields every item carries on output: key, dataType, data, dataTimestamp,
// isDeleted (always present). Written into an object the caller has opened, so the
// lock can add its own fields.
template <typename Sink>
void write_item_fields(BasicJsonWriter<Sink>& writer, const Item& item) {
  writer.key("key").string(item.key);
  writer.key("dataType").string(item.data_type);
  writer.key("data").string(item.data);
  writer.key("dataTimestamp").integer(item.data_timestamp);
  writer.key("isDeleted").boolean(item.is_deleted);
}

// One item as a JSON object: the single writer of items for responses and
// notifications.
template <typename Sink>
void write_item(BasicJsonWriter<Sink>& writer, const Item& item) {
  writer.begin_object();
  write_item_fields(writer, item);
  writer.end_object();
}

// The lock as get-lock returns it: the item's fields, the pwdHash it was written
// under and the user's id (PROTOCOL.md §4.5).
template <typename Sink>
void write_lock(BasicJsonWriter<Sink>& writer, const Lock& lock, std::string_view user_id) {
  writer.begin_object();
  write_item_fields(writer, lock.item);
  writer.key("pwdHash").string(lock.pwd_hash);
  writer.key("userId").string(user_id);
  writer.end_object();
}

// One device as the device list returns it (PROTOCOL.md §4.7).
template <typename Sink>
void write_device(BasicJsonWriter<Sink>& writer, const Device& device) {
  writer.begin_object();
  writer.key("instanceId").string(device.instance_id);
  writer.key("createdAt").integer(device.created_at);
  writer.key("lastSeenAt").integer(device.last_seen_at);
  writer.end_object();
}

// The success envelope around `data_json`, a JSON value already encoded (the
// admin endpoint's documents).
void encode_success_json(std::string_view data_json, std::string& out);

// A cheap upper-bound-ish estimate of an item's encoded size, for reserve() (exact
// unless the strings need escapes).
[[nodiscard]] inline std::size_t estimated_item_size(const Item& item) noexcept {
  constexpr std::size_t fixed_overhead = 84;  // names, quotes, punctuation, 13 digits
  return item.key.size() + item.data_type.size() + item.data.size() + fixed_overhead;
}

}  // namespace primesync::protocol
