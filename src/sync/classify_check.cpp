#include "sync/classify_check.hpp"

#include <algorithm>

#include "sync/resolve_duplicates.hpp"

namespace primesync::sync {
namespace {

bool type_is_excluded(const CheckRequest& request, std::string_view data_type) {
  const auto& excluded = request.only_check_local_data_type;
  return std::find(excluded.begin(), excluded.end(), data_type) != excluded.end();
}

}  // namespace

CheckResponse classify_check(const UserState& state, const CheckRequest& request) {
  CheckResponse response;
  response.nonce = state.user.nonce;
  response.pwd_hash = state.user.pwd_hash;

  const auto& entries = request.local_data;
  const auto client = resolve_duplicates(
      entries.size(), [&](std::size_t i) { return entries[i].key; },
      [&](std::size_t i) { return entries[i].data_timestamp; });

  // Merge the client's winners (by key) with the stored items (by key). In sync,
  // every step reads only the index's contiguous keys and timestamps.
  std::vector<std::size_t> unknown_to_server;  // positions of client keys not stored
  auto next_client = client.begin();
  const ItemIndex& stored_items = state.items;
  for (std::size_t position = 0; position < stored_items.size(); ++position) {
    const std::string_view stored_key = stored_items.key(position);
    // One three-way compare per step: in sync, every key matches, and comparing
    // equal keys reads all their bytes.
    int order = 1;
    while (next_client != client.end() &&
           (order = entries[*next_client].key.compare(stored_key)) < 0) {
      unknown_to_server.push_back(*next_client++);
    }
    if (next_client == client.end() || order != 0) {
      const Item& stored = stored_items.item(position);
      if (!stored.is_deleted && !type_is_excluded(request, stored.data_type)) {
        response.updated.push_back(&stored);
      }
      continue;
    }
    const CheckEntry& entry = entries[*next_client++];
    const Millis stored_timestamp = stored_items.timestamp(position);
    if (!entry.data_timestamp) {
      response.diff.push_back(&stored_items.item(position));
    } else if (*entry.data_timestamp > stored_timestamp) {
      response.obsoleted.push_back(stored_key);
    } else if (*entry.data_timestamp < stored_timestamp) {
      const Item& stored = stored_items.item(position);
      if (stored.is_deleted) {
        response.deleted.push_back(stored.key);
      } else {
        response.updated.push_back(&stored);
      }
    }
  }
  unknown_to_server.insert(unknown_to_server.end(), next_client, client.end());

  // Keys the server has never seen are obsolete on the client, unless the client
  // claims a newer nonce than the server's (then they are not reported).
  if (request.nonce <= state.user.nonce && !unknown_to_server.empty()) {
    std::sort(unknown_to_server.begin(), unknown_to_server.end());  // request order
    std::vector<std::string_view> unknown_keys;
    unknown_keys.reserve(unknown_to_server.size() + response.obsoleted.size());
    for (std::size_t position : unknown_to_server) unknown_keys.push_back(entries[position].key);
    unknown_keys.insert(unknown_keys.end(), response.obsoleted.begin(), response.obsoleted.end());
    response.obsoleted = std::move(unknown_keys);
  }
  return response;
}

}  // namespace primesync::sync
