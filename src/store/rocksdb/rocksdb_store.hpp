// The embedded store: a primesync::Store on RocksDB in a local data directory.
// One column family per record kind (see key_codec.hpp for the key layout and
// record_codec.hpp for the values). A commit writes every write set of its batch in
// one WriteBatch with one (synced) WAL write, so a batch is atomic and durable
// when commit() returns. One process owns a data directory, and the service
// serialises one user's commits, so the revision precondition is checked against
// the stored user record without a lock. RocksDB types stay out of this header.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "primesync/config.hpp"
#include "primesync/error.hpp"
#include "primesync/model.hpp"
#include "primesync/store.hpp"

namespace primesync {

// Thrown by RocksDbStore::open when another process has the data directory open
// (RocksDB's lock file): a running server, most likely.
class DataDirInUse : public StoreUnavailable {
 public:
  using StoreUnavailable::StoreUnavailable;
};

class RocksDbStore final : public Store {
 public:
  // Counters since open, for /metrics.
  struct Stats {
    std::uint64_t commits = 0;            // WriteBatches committed by commit()
    std::uint64_t write_sets = 0;         // write sets in those batches
    std::uint64_t write_batch_bytes = 0;  // their encoded size
    std::uint64_t synced_writes = 0;      // commits written with a WAL sync
    std::uint64_t failed_commits = 0;     // commit() calls that threw StoreUnavailable
    std::uint64_t outbox_written = 0;     // outbox entries committed
    std::uint64_t outbox_removed = 0;     // outbox entries removed
    std::uint64_t history_pruned = 0;     // history records deleted by prune_history()
    std::uint64_t users_loaded = 0;       // load_user() calls
    std::uint64_t conflicts = 0;          // write sets refused by their precondition
  };

  // What RocksDB itself reports, summed over the column families, for /metrics.
  struct EngineFigures {
    std::uint64_t sst_bytes = 0;                 // table files on disk
    std::uint64_t live_data_bytes = 0;           // estimate of the data they hold
    std::uint64_t memtable_bytes = 0;            // memtables (budget: writeBufferBytes)
    std::uint64_t pending_compaction_bytes = 0;  // estimate of what compaction still has to rewrite
    std::uint64_t running_compactions = 0;
    std::uint64_t wal_bytes = 0;          // write-ahead log files
    std::uint64_t disk_bytes = 0;         // every file of the data directory
    std::uint64_t block_cache_bytes = 0;  // block cache in use (budget: blockCacheBytes)
  };

  // Opens (creating if missing) the store in config.path. Throws StoreUnavailable,
  // naming the path, when the directory or the database cannot be opened, and
  // DataDirInUse when another process holds it.
  [[nodiscard]] static std::unique_ptr<RocksDbStore> open(const RocksDbConfig& config);

  ~RocksDbStore() override;
  RocksDbStore(const RocksDbStore&) = delete;
  RocksDbStore& operator=(const RocksDbStore&) = delete;

  [[nodiscard]] UserState load_user(std::string_view user_id) override;
  [[nodiscard]] std::uint64_t load_revision(std::string_view user_id) override;
  [[nodiscard]] std::vector<CommitStatus> commit(std::span<WriteSet> batch) override;
  [[nodiscard]] std::vector<std::string> list_users(std::string_view after,
                                                    std::size_t limit) override;
  [[nodiscard]] std::vector<OutboxEntry> read_outbox(std::size_t max_entries) override;
  void remove_outbox(std::span<const std::uint64_t> sequences) override;
  std::size_t prune_history(Millis older_than) override;
  [[nodiscard]] bool ready() override;

  // A consistent copy of the whole store in `directory` (a RocksDB checkpoint:
  // table files hard-linked where the file system allows, so it is quick and
  // small); the copy opens as a data directory. `directory` must not exist; its
  // parent must. Throws StoreUnavailable naming what failed.
  void checkpoint(const std::string& directory);

  [[nodiscard]] Stats stats() const noexcept;
  [[nodiscard]] EngineFigures engine_figures() const;

 private:
  struct Impl;
  explicit RocksDbStore(std::unique_ptr<Impl> impl) noexcept;

  std::unique_ptr<Impl> impl_;
};

}  // namespace primesync
