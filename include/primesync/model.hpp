// The data a user owns, as the sync rules and the stores see it.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace primesync {

// Milliseconds since the Unix epoch.
using Millis = std::int64_t;

// The wall clock in Millis (what the protocol's times and serverTime are).
[[nodiscard]] inline Millis wall_clock_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct Item {
  std::string key;
  std::string data_type;
  std::string data;
  Millis data_timestamp = 0;
  bool is_deleted = false;

  friend bool operator==(const Item&, const Item&) = default;
};

using ItemPtr = std::shared_ptr<const Item>;

// The lock item plus the user's pwdHash at the time it was written.
struct Lock {
  Item item;
  std::string pwd_hash;

  friend bool operator==(const Lock&, const Lock&) = default;
};

struct UserRecord {
  std::string user_id;
  std::string salt;
  std::string pwd_hash;
  std::int64_t nonce = 0;
  bool is_prime = false;
  Millis created_at = 0;
  // The store's version of the user's whole state: every commit that writes for the
  // user raises it by one. A write set names the revision it was planned against
  // (WriteSet::expected_revision), and the store commits it only if that is still
  // the stored one, so instances sharing a database never overwrite each other.
  std::uint64_t revision = 0;

  friend bool operator==(const UserRecord&, const UserRecord&) = default;
};

struct Device {
  std::string instance_id;
  Millis created_at = 0;
  Millis last_seen_at = 0;

  friend bool operator==(const Device&, const Device&) = default;
};

// A user's items ordered by key. Items are shared immutable values, so copying an
// index for a new version of the state copies pointers, not ciphertext.
//
// Beside the items it keeps every key in one buffer and every timestamp in one
// array, in the same order. A check compares each client entry's key and timestamp
// with the stored ones and, when in sync, reads nothing else: reading them from
// contiguous memory instead of from one heap block per item is what keeps a
// 2,000-item check, or a check of a user whose state is not in the CPU cache, fast.
class ItemIndex {
 public:
  [[nodiscard]] const std::vector<ItemPtr>& items() const noexcept { return items_; }
  [[nodiscard]] std::size_t size() const noexcept { return items_.size(); }
  [[nodiscard]] bool empty() const noexcept { return items_.empty(); }
  [[nodiscard]] auto begin() const noexcept { return items_.begin(); }
  [[nodiscard]] auto end() const noexcept { return items_.end(); }

  // The key and timestamp of the item at `position` (0..size()-1), as item(position)
  // has them, read from the contiguous copies.
  [[nodiscard]] std::string_view key(std::size_t position) const noexcept {
    const std::size_t start = position == 0 ? 0 : key_ends_[position - 1];
    return {keys_.data() + start, key_ends_[position] - start};
  }
  [[nodiscard]] Millis timestamp(std::size_t position) const noexcept {
    return timestamps_[position];
  }
  [[nodiscard]] const Item& item(std::size_t position) const noexcept { return *items_[position]; }
  // Bytes of the contiguous copies (what the index costs beyond its items).
  [[nodiscard]] std::size_t index_bytes() const noexcept {
    return keys_.size() + size() * (sizeof(std::size_t) + sizeof(Millis));
  }

  [[nodiscard]] const Item* find(std::string_view key) const noexcept;

  // Inserts or replaces the item with the same key: O(size()), O(1) when it sorts last.
  void put(ItemPtr item);
  // This index after erasing `erase_keys`, then putting `put_items` (a later copy of
  // a key replaces an earlier one), built in one pass: O(size() + m log m) for m changes.
  [[nodiscard]] ItemIndex updated(const std::vector<std::string>& erase_keys,
                                  const std::vector<ItemPtr>& put_items) const;
  // Replaces the content with `items` (any order, distinct keys).
  void assign(std::vector<ItemPtr> items);
  void clear() noexcept;

 private:
  [[nodiscard]] std::size_t lower_bound(std::string_view key) const noexcept;
  void insert_at(std::size_t position, ItemPtr item);
  void push_back(ItemPtr item);
  void push_back_from(const ItemIndex& other, std::size_t position);

  std::vector<ItemPtr> items_;
  std::string keys_;                   // every key, in order, back to back
  std::vector<std::size_t> key_ends_;  // key i ends at keys_[key_ends_[i]] (starts where i-1 ends)
  std::vector<Millis> timestamps_;     // timestamps_[i] == items_[i]->data_timestamp
};

// Everything the rules need to know about one user. `exists` is false for a user
// the store has never seen.
struct UserState {
  bool exists = false;
  UserRecord user;
  std::optional<Lock> lock;
  std::vector<Device> devices;
  ItemIndex items;
};

using UserStatePtr = std::shared_ptr<const UserState>;

// A previous version of an item, archived when an operation overwrites or deletes it.
struct HistoryRecord {
  std::int64_t nonce = 0;  // the user's new nonce of the commit that replaced it
  Millis archived_at = 0;  // server time of that commit (history retention)
  ItemPtr item;
};

// One queued notification, already encoded as the JSON message of PROTOCOL.md §5.
struct OutboxEntry {
  std::uint64_t sequence = 0;  // assigned by the store at commit; orders all entries
  std::string user_id;
  std::string message;
  Millis created_at = 0;
};

// Every write of one operation. A Store commits a write set atomically: all of it
// or none of it, and only while the user's stored revision is `expected_revision`
// (a compare-and-set); `user` is then always set and carries expected_revision + 1.
//
// `delete_user` (the operator's delete) removes everything stored for the user
// instead: record, lock, devices, items and history (outbox entries too where the
// store keys them by user); the set's other fields are then ignored. The user
// reads as never stored afterwards (UserState::exists false). Its revision is
// then 0, or, on a store several processes share, still expected_revision + 1,
// so that a state one of them cached before the deletion is never confirmed again.
struct WriteSet {
  std::string user_id;
  std::uint64_t expected_revision = 0;    // the stored revision the plan saw
  bool delete_user = false;               // everything of the user goes; see above
  std::optional<UserRecord> user;         // upsert of the user record
  std::vector<ItemPtr> put_items;         // upserts by key
  std::vector<std::string> delete_items;  // keys
  std::vector<HistoryRecord> history;     // archived previous versions
  std::optional<Lock> put_lock;
  bool delete_lock = false;
  std::vector<Device> put_devices;          // upserts by instance id
  std::vector<std::string> delete_devices;  // instance ids
  std::vector<OutboxEntry> outbox;          // sequence assigned by the store

  [[nodiscard]] bool empty() const noexcept {
    return !delete_user && !user && put_items.empty() && delete_items.empty() && history.empty() &&
           !put_lock && !delete_lock && put_devices.empty() && delete_devices.empty() &&
           outbox.empty();
  }
};

// What a Store did with one write set of a batch.
enum class CommitStatus : std::uint8_t {
  committed,
  conflict,  // the stored revision was not the expected one: nothing of it was written
};

// The state a commit of `writes` makes of `state`, built without copying what the
// write set replaces (a commit's next state is built from the cached one).
[[nodiscard]] UserState applied_write_set(const UserState& state, const WriteSet& writes);
// The same, in place.
void apply_write_set(UserState& state, const WriteSet& writes);

}  // namespace primesync
