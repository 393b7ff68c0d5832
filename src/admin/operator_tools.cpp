#include "admin/operator_tools.hpp"

#include <algorithm>
#include <filesystem>
#include <span>
#include <system_error>
#include <utility>
#include <vector>

#include "protocol/json_writer.hpp"
#include "protocol/response_encoder.hpp"
#include "store/rocksdb/rocksdb_store.hpp"
#include "sync/operations.hpp"

namespace primesync::admin {
namespace {

// Gathers the JSON writer's output and hands it on in chunks of
// export_chunk_bytes; flush() passes on the rest.
class ChunkSink {
 public:
  explicit ChunkSink(const Chunks& write) : write_(&write) { buffer_.reserve(export_chunk_bytes); }

  void put(char c) {
    buffer_.push_back(c);
    if (buffer_.size() >= export_chunk_bytes) flush();
  }
  void append(std::string_view text) {
    buffer_.append(text);
    if (buffer_.size() >= export_chunk_bytes) flush();
  }
  void flush() {
    if (buffer_.empty()) return;
    (*write_)(buffer_);
    buffer_.clear();
  }

 private:
  const Chunks* write_;
  std::string buffer_;
};

void write_user_record(protocol::BasicJsonWriter<ChunkSink>& writer, const UserRecord& user) {
  writer.begin_object();
  writer.key("userId").string(user.user_id);
  writer.key("salt").string(user.salt);
  writer.key("pwdHash").string(user.pwd_hash);
  writer.key("isPrime").boolean(user.is_prime);
  writer.key("nonce").integer(user.nonce);
  writer.key("createdAt").integer(user.created_at);
  writer.key("revision").integer(user.revision);
  writer.end_object();
}

}  // namespace

void write_user_export(const UserState& state, const Chunks& write) {
  protocol::BasicJsonWriter<ChunkSink> writer{ChunkSink(write)};
  writer.begin_object();
  writer.key("user");
  write_user_record(writer, state.user);
  writer.key("lock");
  if (state.lock) {
    protocol::write_lock(writer, *state.lock, state.user.user_id);
  } else {
    writer.null();
  }
  writer.key("devices").begin_array();
  for (const Device& device : state.devices) protocol::write_device(writer, device);
  writer.end_array();
  writer.key("items").begin_array();
  for (const ItemPtr& item : state.items) protocol::write_item(writer, *item);
  writer.end_array();
  writer.end_object();
  writer.sink().flush();
}

std::optional<Failure> export_user(Store& store, const std::string& user_id, const Chunks& write) {
  const UserState state = store.load_user(user_id);
  if (!state.exists) return fail(Error::not_found, "user '" + user_id + "' is not stored");
  write_user_export(state, write);
  return std::nullopt;
}

std::size_t list_users(Store& store, std::size_t limit,
                       const std::function<void(const std::string&)>& visit) {
  std::size_t visited = 0;
  std::string after;
  for (;;) {
    const std::size_t wanted =
        limit == 0 ? list_page_users : std::min(list_page_users, limit - visited);
    if (wanted == 0) return visited;
    const std::vector<std::string> page = store.list_users(after, wanted);
    for (const std::string& user_id : page) visit(user_id);
    visited += page.size();
    if (page.size() < wanted) return visited;
    after = page.back();
  }
}

Outcome<DeleteUserResponse> delete_user(Store& store, const std::string& user_id,
                                        std::size_t conflict_retries) {
  for (std::size_t attempt = 0; attempt <= conflict_retries; ++attempt) {
    const UserState state = store.load_user(user_id);
    WriteSet writes;
    writes.user_id = user_id;
    DeleteUserResponse response = sync::plan_delete_user(state, writes);
    if (writes.empty()) return response;
    // The same precondition as every write set (see WriteSet).
    writes.expected_revision = state.user.revision;
    writes.user = state.user;
    writes.user->revision = state.user.revision + 1;
    std::span<WriteSet> batch(&writes, 1);
    if (store.commit(batch).front() == CommitStatus::committed) return response;
  }
  return fail(Error::unavailable, "the user's data kept changing under concurrent writes; retry");
}

Outcome<BackupResponse> backup(RocksDbStore* store, const std::string& directory) {
  if (store == nullptr) {
    return fail(Error::bad_request,
                "backup: only the embedded store (rocksdb) is backed up by primesync; back up "
                "MongoDB with its own tools (mongodump)");
  }
  if (directory.empty()) return fail(Error::bad_request, "to: required (the backup directory)");
  std::error_code error;
  if (std::filesystem::exists(directory, error) || error) {
    return fail(Error::bad_request,
                "to: '" + directory + "' already exists; a backup goes into a new directory");
  }
  const std::filesystem::path parent = std::filesystem::absolute(directory, error).parent_path();
  if (error || !std::filesystem::is_directory(parent, error)) {
    return fail(Error::bad_request, "to: the parent directory of '" + directory + "' is missing");
  }
  store->checkpoint(directory);
  return BackupResponse{directory};
}

}  // namespace primesync::admin
