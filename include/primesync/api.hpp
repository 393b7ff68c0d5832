// Typed requests and responses of every operation (PROTOCOL.md §4). The protocol
// layer turns JSON into these and back; the sync rules work on them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "primesync/model.hpp"

namespace primesync {

// Who is calling: from the verified token and the request headers.
struct Caller {
  std::string user_id;
  std::optional<bool> prime;  // the token's `prime` claim
  std::string instance_id;    // x-onekey-instance-id, may be empty
};

// A check entry. Its strings view the request body, which the caller keeps alive
// until the operation completes (a 2,000-entry check then allocates no strings).
struct CheckEntry {
  std::string_view key;
  std::string_view data_type;
  std::optional<Millis> data_timestamp;
};

struct CheckRequest {
  std::vector<CheckEntry> local_data;
  std::vector<std::string_view> only_check_local_data_type;
  std::string pwd_hash;
  std::int64_t nonce = 0;
};

// Items a response returns are read from the user's state snapshot, which the
// response keeps alive, so no ciphertext is copied.
struct CheckResponse {
  std::vector<std::string_view> deleted;
  std::vector<std::string_view> obsoleted;
  std::vector<const Item*> diff;
  std::vector<const Item*> updated;
  std::int64_t nonce = 0;
  std::string pwd_hash;
  Millis server_time = 0;
  UserStatePtr snapshot;
};

struct UploadRequest {
  std::vector<Item> local_data;
  std::string pwd_hash;
  std::int64_t nonce = 0;
};

struct WriteResponse {  // upload and flush
  std::size_t created = 0;
  std::size_t updated = 0;
  std::optional<std::size_t> skipped;  // upload only
  std::int64_t nonce = 0;
  std::string pwd_hash;
};

struct DownloadRequest {
  std::string pwd_hash;
  bool include_deleted = false;
  std::size_t skip = 0;
  std::size_t limit = 0;  // 0: everything (capped by the page maximum)
  std::optional<std::string> after;
};

struct DownloadResponse {
  std::vector<const Item*> server_data;
  std::int64_t nonce = 0;
  std::string pwd_hash;
  bool has_more = false;
  UserStatePtr snapshot;
};

struct FlushRequest {
  std::vector<Item> local_data;
  std::string pwd_hash;
  std::int64_t nonce = 0;
  std::optional<Item> lock;
};

struct LockResponse {
  std::optional<Lock> lock;
  std::string user_id;
};

struct ChangeLockRequest {
  Item lock;
  std::string pwd_hash;
};

// `POST /notification/v1/message/ack`: a device confirms a push it received (the
// app's fallback when its socket.io acknowledgement timed out).
struct MessageAckRequest {
  std::string message_id;  // msgId
  std::string action;      // "arrived", ...
};

struct ChangeLockResponse {
  std::size_t updated = 1;
};

struct UserInfoResponse {
  std::string user_id;
  std::string salt;
  std::string pwd_hash;
  bool is_prime = false;
  std::int64_t nonce = 0;
};

struct LoginResponse {
  std::string user_id;
  std::string instance_id;
};

struct EmptyResponse {};

struct DevicesResponse {
  std::vector<Device> devices;
};

// The operator's delete of a user (README "Operator tooling").
struct DeleteUserResponse {
  std::string user_id;
  bool existed = false;     // false: nothing was stored, so nothing changed
  std::size_t items = 0;    // items removed, tombstones included
  std::size_t devices = 0;  // devices removed
};

// The notification message of PROTOCOL.md §5, before encoding.
enum class NotificationType { config_change, config_flush, lock_change };

struct Notification {
  std::string msg_id;
  NotificationType type = NotificationType::config_change;
  std::string user_id;
  std::vector<std::string> devices;
  std::optional<std::int64_t> nonce;
  std::string pwd_hash;
  std::optional<Item> lock;
  std::optional<std::vector<ItemPtr>> server_data;
};

}  // namespace primesync
