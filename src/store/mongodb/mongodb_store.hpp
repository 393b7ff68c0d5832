// The MongoDB store: a primesync::Store on a MongoDB deployment (or a compatible
// server such as FerretDB), shared by any number of primesync instances.
//
// Collections (in sync.adapters.mongodb.database):
//   users        one document per user: the record, its revision, the lock, the
//                devices (few, bounded by limits.maxDevices) and, while a write is
//                being applied, `pending` (that write's id)
//   sync_items   one document per item, unique on (userId, key)
//   sync_history archived versions, indexed by (userId, nonce) and archivedAt
//   sync_outbox  notifications, _id = sequence, owned by the instance (`origin`)
//                that committed them, which delivers them
//   sync_intents the writes of a commit outside the user document, until applied
//   counters     the outbox sequence
//
// A commit works on every deployment, with or without transactions:
//   1. the write set's writes outside the user document go into sync_intents;
//   2. the user document is updated with a compare-and-set on its revision (and
//      on having no pending write), which also records the intent as `pending`:
//      this single-document write is the commit point;
//   3. the intent is applied (idempotent upserts and inserts), `pending` cleared,
//      the intent deleted.
// A crash after 2 leaves `pending` set: the next load of the user, by any
// instance, applies the intent first (at once for its own abandoned writes, after
// intentTimeoutSeconds for another live instance's), so a reader sees a write set
// entirely or not at all, and an acknowledged write is never lost. A write set
// touching only the user document (devices, lock, user record) is step 2 alone.
// Writes use the configured write concern (default majority + journal).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "primesync/config.hpp"
#include "primesync/model.hpp"
#include "primesync/store.hpp"

namespace primesync {

class MongoDbStore final : public Store {
 public:
  // Counters since open, for /metrics.
  struct Stats {
    std::uint64_t commits = 0;         // commit() calls that wrote something
    std::uint64_t write_sets = 0;      // write sets committed
    std::uint64_t conflicts = 0;       // write sets refused by their precondition
    std::uint64_t roll_forwards = 0;   // unfinished writes completed on load
    std::uint64_t load_retries = 0;    // loads repeated because a commit raced them
    std::uint64_t failures = 0;        // operations that threw StoreUnavailable
    std::uint64_t users_loaded = 0;    // load_user() calls
  };

  // Connects, creates the collections' indexes (idempotent) and starts the health
  // monitor. Throws StoreUnavailable when the server cannot be reached or refuses,
  // std::invalid_argument for a malformed URI.
  [[nodiscard]] static std::unique_ptr<MongoDbStore> open(const MongoDbConfig& config);

  ~MongoDbStore() override;
  MongoDbStore(const MongoDbStore&) = delete;
  MongoDbStore& operator=(const MongoDbStore&) = delete;

  [[nodiscard]] UserState load_user(std::string_view user_id) override;
  [[nodiscard]] std::uint64_t load_revision(std::string_view user_id) override;
  [[nodiscard]] std::vector<CommitStatus> commit(std::span<WriteSet> batch) override;
  [[nodiscard]] std::vector<OutboxEntry> read_outbox(std::size_t max_entries) override;
  void remove_outbox(std::span<const std::uint64_t> sequences) override;
  std::size_t prune_history(Millis older_than) override;
  // The last health check's answer (a background ping each second): never blocks.
  [[nodiscard]] bool ready() override;

  [[nodiscard]] Stats stats() const noexcept;

  // The instance id this store writes on its outbox entries.
  [[nodiscard]] const std::string& instance_id() const noexcept;

 private:
  struct Impl;
  explicit MongoDbStore(std::unique_ptr<Impl> impl) noexcept;

  std::unique_ptr<Impl> impl_;
};

}  // namespace primesync
