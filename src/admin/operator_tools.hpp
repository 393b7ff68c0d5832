// The operator's tools (README "Operator tooling"): export, list and delete a
// user, and back up the embedded store. The logic lives here once. The command
// line runs it straight on a Store while the server is stopped; the admin
// endpoint of a running server runs the same pieces, with export and delete
// going through the SyncService's write queue (sync::plan_delete_user is the one
// plan of a deletion) so they never race a user's own operations.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "primesync/api.hpp"
#include "primesync/error.hpp"
#include "primesync/model.hpp"
#include "primesync/store.hpp"

namespace primesync {
class RocksDbStore;
}  // namespace primesync

namespace primesync::admin {

// Receives output as it is produced, a chunk at a time.
using Chunks = std::function<void(std::string_view)>;

// Bytes of an export held before they go to the Chunks: the export of a large
// user streams out instead of being built as one string.
inline constexpr std::size_t export_chunk_bytes = 64U << 10U;

// User ids fetched from the store at once while listing.
inline constexpr std::size_t list_page_users = 1000;

// The user's state as one JSON document, in PROTOCOL.md's field names:
//   {"user": {userId, salt, pwdHash, isPrime, nonce, createdAt, revision},
//    "lock": {key, dataType, data, dataTimestamp, isDeleted, pwdHash, userId} | null,
//    "devices": [{instanceId, createdAt, lastSeenAt}],
//    "items": [{key, dataType, data, dataTimestamp, isDeleted}]}   (key order,
//    tombstones included)
// written item by item to `write`.
void write_user_export(const UserState& state, const Chunks& write);

// Loads the user and writes its export; not_found when the user is not stored.
[[nodiscard]] std::optional<Failure> export_user(Store& store, const std::string& user_id,
                                                 const Chunks& write);

// Calls `visit` with up to `limit` user ids (0 = all of them), in the store's
// order, fetching them a page at a time. Returns how many it visited.
std::size_t list_users(Store& store, std::size_t limit,
                       const std::function<void(const std::string&)>& visit);

// Deletes everything of the user in one commit, straight on the store (the
// command line). Planned again from a fresh load when another process wrote to
// the user first (a shared MongoDB store), up to `conflict_retries` times.
[[nodiscard]] Outcome<DeleteUserResponse> delete_user(Store& store, const std::string& user_id,
                                                      std::size_t conflict_retries);

struct BackupResponse {
  std::string directory;
};

// A checkpoint of the embedded store into `directory`, which must not exist yet
// (bad_request otherwise). `store` is null on a store primesync cannot back up
// (MongoDB: use its own tools), answered with bad_request saying so.
[[nodiscard]] Outcome<BackupResponse> backup(RocksDbStore* store, const std::string& directory);

}  // namespace primesync::admin
