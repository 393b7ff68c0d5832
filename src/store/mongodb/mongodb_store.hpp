// The MongoDB store: a primesync::Store on a MongoDB deployment (or a compatible
// server such as FerretDB), shared by any number of primesync instances.
//
// Collections (in sync.adapters.mongodb.database):
//   users        one document per user: the record, its revision, the lock and the
//                devices (few, bounded by limits.maxDevices); a deleted user's
//                keeps only its revision
//   sync_items   one document per item, unique on (userId, key)
//   sync_history archived versions, indexed by (userId, nonce) and archivedAt
//   sync_outbox  notifications, _id = "<origin>:<sequence>"; each instance
//                (`origin`) numbers and delivers its own
//   sync_commits commit records, _id = "<userId>:<revision>"
//   sync_intents the further parts of a commit too large for its record
//
// A commit works on every deployment, with or without transactions, and does not
// rely on an update's filter being atomic (on FerretDB it is not):
//   1. the commit record is inserted: it holds the write set (the user document's
//      $set/$unset and the item, history and outbox writes). Its unique _id lets
//      exactly one commit take a revision; this insert is the commit point;
//   2. the user document is read back: a record won on a revision the user has
//      already passed (that revision's record was applied and dropped) is withdrawn;
//   3. the writes are applied (idempotent upserts and inserts), the user document
//      last (filtered on the previous revision), and the record dropped: the
//      collection holds only commits in flight.
// A crash after 1 leaves a record one revision above the user document: the
// next load of the user, by any instance, applies it first (at once for this
// process's abandoned commits; for another instance's once its writer stopped
// refreshing the record's time for intentTimeoutSeconds: a writer refreshes it
// while it applies, and stops writing if it could not for half that time),
// so a reader sees a write set entirely or not at all, and an acknowledged write
// is never lost. Writes use the configured write concern (majority + journal).
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
    std::uint64_t commits = 0;        // commit() calls that wrote something
    std::uint64_t write_sets = 0;     // write sets committed
    std::uint64_t conflicts = 0;      // write sets refused by their precondition
    std::uint64_t roll_forwards = 0;  // unfinished writes completed on load
    std::uint64_t load_retries = 0;   // loads repeated because a commit raced them
    std::uint64_t failures = 0;       // operations that threw StoreUnavailable
    std::uint64_t users_loaded = 0;   // load_user() calls
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
  [[nodiscard]] std::vector<std::string> list_users(std::string_view after,
                                                    std::size_t limit) override;
  [[nodiscard]] std::vector<OutboxEntry> read_outbox(std::size_t max_entries) override;
  void remove_outbox(std::span<const std::uint64_t> sequences) override;
  std::size_t prune_history(Millis older_than) override;
  // The last health check's answer (a background ping each second): never blocks.
  [[nodiscard]] bool ready() override;
  // Other instances write to the same database (unless revalidateReads is off).
  [[nodiscard]] bool shared() const override;

  [[nodiscard]] Stats stats() const noexcept;

  // The instance id this store writes on its outbox entries.
  [[nodiscard]] const std::string& instance_id() const noexcept;

 private:
  struct Impl;
  explicit MongoDbStore(std::unique_ptr<Impl> impl) noexcept;

  std::unique_ptr<Impl> impl_;
};

}  // namespace primesync
