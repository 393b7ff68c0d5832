#include "store/rocksdb/rocksdb_store.hpp"

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/merge_operator.h>
#include <rocksdb/options.h>
#include <rocksdb/slice_transform.h>
#include <rocksdb/snapshot.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/utilities/table_properties_collectors.h>
#include <rocksdb/write_batch.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

#include "primesync/error.hpp"
#include "store/rocksdb/byte_codec.hpp"
#include "store/rocksdb/key_codec.hpp"
#include "store/rocksdb/outbox_sequences.hpp"
#include "store/rocksdb/record_codec.hpp"
#include "store/rocksdb/stderr_logger.hpp"

namespace primesync {

namespace {

namespace codec = rocksdb_codec;

// Column families, in the order their handles are opened (the index into handles).
enum class Family : std::size_t { kDefault, kUsers, kItems, kLocks, kHistory, kDevices, kOutbox };
constexpr std::array<const char*, 7> kFamilyNames = {"default", "users",   "items", "locks",
                                                     "history", "devices", "outbox"};

// In the default family: the highest outbox sequence ever committed, kept with a
// max-merge in the same WriteBatch as the entries. Without it a restart after the
// outbox was drained would hand out sequences again.
constexpr std::string_view kOutboxHighWaterKey = "outbox_high_water";

// Bloom filter bits per key (~1% false positives).
constexpr double kBloomBitsPerKey = 10;
// Data block size of the per-user families: a user's rows are read together, so
// larger blocks mean fewer block reads per user load and a smaller index.
constexpr std::size_t kUserRowsBlockBytes = 16U << 10U;
// Deletes per WriteBatch while pruning, so a large prune does not build one huge batch.
constexpr std::size_t kPruneBatchRows = 1024;

// RocksDB's lock file in the data directory: an fcntl lock held while it is open.
constexpr const char* kLockFile = "LOCK";

// Whether another process holds a write lock on `lock_file` (F_GETLK reports the
// conflicting lock without taking one).
bool held_by_another_process(const std::filesystem::path& lock_file) {
  const int fd = ::open(lock_file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct flock probe {};
  probe.l_type = F_WRLCK;
  probe.l_whence = SEEK_SET;
  const bool held = ::fcntl(fd, F_GETLK, &probe) == 0 && probe.l_type != F_UNLCK;
  ::close(fd);
  return held;
}

std::string_view view(const rocksdb::Slice& slice) noexcept {
  return slice.ToStringView();
}

std::string encode_sequence(std::uint64_t sequence) {
  std::string bytes;
  codec::ByteWriter(bytes).fixed64_be(sequence);
  return bytes;
}

std::uint64_t decode_sequence(std::string_view bytes, std::string_view what) {
  codec::ByteReader reader(bytes, what);
  const std::uint64_t sequence = reader.fixed64_be();
  reader.expect_end();
  return sequence;
}

// The user prefix of items/devices keys, so their bloom filters answer "does this
// user have any rows in this file" and a user's scan skips files without them.
class UserPrefixExtractor final : public rocksdb::SliceTransform {
 public:
  [[nodiscard]] const char* Name() const override { return "primesync.UserPrefix"; }
  [[nodiscard]] rocksdb::Slice Transform(const rocksdb::Slice& key) const override {
    return {key.data(), codec::user_prefix_size(view(key))};
  }
  [[nodiscard]] bool InDomain(const rocksdb::Slice& key) const override {
    return codec::user_prefix_size(view(key)) != 0;
  }
};

// Keeps the larger of two 8-byte big-endian integers (byte order is numeric order).
class MaxSequenceMergeOperator final : public rocksdb::AssociativeMergeOperator {
 public:
  [[nodiscard]] const char* Name() const override { return "primesync.MaxSequence"; }
  bool Merge(const rocksdb::Slice& /*key*/, const rocksdb::Slice* existing_value,
             const rocksdb::Slice& value, std::string* new_value,
             rocksdb::Logger* /*logger*/) const override {
    if (value.size() != 8 || (existing_value != nullptr && existing_value->size() != 8)) {
      return false;  // RocksDB reports corruption
    }
    const bool keep_existing = existing_value != nullptr && existing_value->compare(value) > 0;
    new_value->assign(keep_existing ? view(*existing_value) : view(value));
    return true;
  }
};

rocksdb::ColumnFamilyOptions family_options(Family family,
                                            const std::shared_ptr<rocksdb::Cache>& block_cache) {
  rocksdb::ColumnFamilyOptions options;
  options.level_compaction_dynamic_level_bytes = true;

  rocksdb::BlockBasedTableOptions table;
  table.block_cache = block_cache;
  // Index and filter blocks count against the block cache, so memory stays bounded.
  table.cache_index_and_filter_blocks = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  // Partitioned: with millions of users a file's whole index and filter would be
  // larger than the cache can keep, and a lookup would load them again and again;
  // a lookup now loads the small partitions it needs, found through a top level
  // that stays pinned.
  table.index_type = rocksdb::BlockBasedTableOptions::IndexType::kTwoLevelIndexSearch;
  table.partition_filters = true;
  table.pin_top_level_index_and_filter = true;
  table.cache_index_and_filter_blocks_with_high_priority = true;

  switch (family) {
    case Family::kUsers:
    case Family::kLocks:
      // Point lookups only: whole-key bloom filters (most misses never touch a data block).
      table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(kBloomBitsPerKey));
      break;
    case Family::kItems:
    case Family::kDevices:
      // Per-user prefix scans only: filter on the user prefix, not the whole key.
      options.prefix_extractor = std::make_shared<UserPrefixExtractor>();
      table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(kBloomBitsPerKey));
      table.whole_key_filtering = false;
      table.block_size = kUserRowsBlockBytes;
      break;
    case Family::kOutbox:
      // A queue: delivered entries leave tombstones at its head, which every
      // read_outbox() scans over until compaction removes them; compact files
      // dense in deletions early.
      options.table_properties_collector_factories.push_back(
          rocksdb::NewCompactOnDeletionCollectorFactory(/*sliding_window_size=*/128,
                                                        /*deletion_trigger=*/64));
      break;
    case Family::kDefault:
      options.merge_operator = std::make_shared<MaxSequenceMergeOperator>();
      break;
    case Family::kHistory:
      break;  // written, then only scanned by pruning: a filter would be dead weight
  }
  options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  return options;
}

rocksdb::DBOptions database_options(const RocksDbConfig& config) {
  rocksdb::DBOptions options;
  options.create_if_missing = true;
  options.create_missing_column_families = true;
  options.max_background_jobs = 2;  // the cores are shared with the request threads
  // All families share one memtable budget, instead of 2 x 64 MiB each.
  options.db_write_buffer_size = config.write_buffer_bytes;
  // A rarely written family (locks) must not keep old WAL files alive forever.
  options.max_total_wal_size = std::uint64_t{256} << 20U;
  options.bytes_per_sync = std::uint64_t{1} << 20U;  // smooth out SST writeback
  // The shards already gather writes into groups; one thread inserting a group is
  // cheaper on few cores than lock-free concurrent inserts (5-item uploads: about
  // 190 -> 160 us of server CPU each).
  options.allow_concurrent_memtable_write = false;
  // Not a LOG file in the data dir: see stderr_logger.hpp (a full disk aborted the
  // process). Warnings and errors only; RocksDB's routine info would drown the log.
  options.info_log = rocksdb_logging::make_stderr_logger(rocksdb::InfoLogLevel::WARN_LEVEL);
  return options;
}

}  // namespace

struct RocksDbStore::Impl {
  struct Counters {
    std::atomic<std::uint64_t> commits{0};
    std::atomic<std::uint64_t> write_sets{0};
    std::atomic<std::uint64_t> write_batch_bytes{0};
    std::atomic<std::uint64_t> synced_writes{0};
    std::atomic<std::uint64_t> failed_commits{0};
    std::atomic<std::uint64_t> outbox_written{0};
    std::atomic<std::uint64_t> outbox_removed{0};
    std::atomic<std::uint64_t> history_pruned{0};
    std::atomic<std::uint64_t> users_loaded{0};
    std::atomic<std::uint64_t> conflicts{0};
  };

  RocksDbConfig config;
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;  // indexed by Family; freed before db
  OutboxSequences sequences;
  // Where read_outbox() starts: every entry below it was gone when it last looked.
  std::atomic<std::uint64_t> outbox_read_from{0};
  Counters counters;

  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  ~Impl() {
    if (!db) return;
    // Commits without sync_wal reached the OS only; a clean close makes them durable.
    if (!config.sync_wal) db->SyncWAL().PermitUncheckedError();
    for (rocksdb::ColumnFamilyHandle* handle : handles) {
      db->DestroyColumnFamilyHandle(handle).PermitUncheckedError();
    }
    db->Close().PermitUncheckedError();
  }

  [[nodiscard]] rocksdb::ColumnFamilyHandle* family(Family which) const {
    return handles[static_cast<std::size_t>(which)];
  }

  void check(const rocksdb::Status& status, std::string_view action) const {
    if (status.ok()) return;
    throw StoreUnavailable("rocksdb store at '" + config.path + "': cannot " + std::string(action) +
                           ": " + status.ToString());
  }

  // False when the key is absent.
  bool get(const rocksdb::ReadOptions& read, Family which, std::string_view key,
           rocksdb::PinnableSlice& value) const {
    const rocksdb::Status status = db->Get(read, family(which), key, &value);
    if (status.IsNotFound()) return false;
    check(status, "read");
    return true;
  }

  // Calls visit(row, value) for every row under `prefix`, in key order, where row is
  // the key without the prefix.
  template <typename Visit>
  void scan_prefix(Family which, rocksdb::ReadOptions read, std::string_view prefix,
                   Visit&& visit) const {
    read.prefix_same_as_start = true;
    const std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(read, family(which)));
    for (it->Seek(prefix); it->Valid(); it->Next()) {
      const std::string_view key = view(it->key());
      if (!key.starts_with(prefix)) break;
      visit(key.substr(prefix.size()), view(it->value()));
    }
    check(it->status(), "scan");
  }

  // Appends one write set in the order apply_write_set() applies it (deletes before
  // puts), with `user` as the user record, numbering its outbox entries from
  // `sequence` on.
  void add_write_set(rocksdb::WriteBatch& batch, const WriteSet& writes, const UserRecord& user,
                     std::uint64_t& sequence) const {
    const auto put = [&](Family which, std::string_view key, std::string_view value) {
      check(batch.Put(family(which), key, value), "build a write batch");
    };
    const auto remove = [&](Family which, std::string_view key) {
      check(batch.Delete(family(which), key), "build a write batch");
    };
    const std::string& user_id = writes.user_id;
    const std::string prefix = codec::user_prefix(user_id);
    if (writes.delete_user) {
      add_user_deletion(batch, user_id);
      return;
    }

    put(Family::kUsers, prefix, codec::encode_user(user));
    for (const std::string& key : writes.delete_items) {
      remove(Family::kItems, codec::user_row_key(user_id, key));
    }
    for (const ItemPtr& item : writes.put_items) {
      if (!item) throw std::invalid_argument("rocksdb store: null item in a write set");
      put(Family::kItems, codec::user_row_key(user_id, item->key), codec::encode_item(*item));
    }
    for (const HistoryRecord& record : writes.history) {
      const std::string_view item_key = record.item ? std::string_view(record.item->key) : "";
      put(Family::kHistory, codec::history_key(user_id, record.nonce, item_key),
          codec::encode_history(record));
    }
    if (writes.delete_lock) remove(Family::kLocks, prefix);
    if (writes.put_lock) put(Family::kLocks, prefix, codec::encode_lock(*writes.put_lock));
    for (const std::string& instance_id : writes.delete_devices) {
      remove(Family::kDevices, codec::user_row_key(user_id, instance_id));
    }
    for (const Device& device : writes.put_devices) {
      put(Family::kDevices, codec::user_row_key(user_id, device.instance_id),
          codec::encode_device(device));
    }
    for (const OutboxEntry& entry : writes.outbox) {
      put(Family::kOutbox, codec::outbox_key(sequence++), codec::encode_outbox(entry));
    }
  }

  // Everything of the user: its single rows, and the ranges of its rows in the
  // other families (range deletions: one entry each, however many rows). The
  // outbox is keyed by sequence, not by user: its entries stay and are delivered.
  void add_user_deletion(rocksdb::WriteBatch& batch, std::string_view user_id) const {
    const std::string prefix = codec::user_prefix(user_id);
    const std::string end = codec::user_range_end(user_id);
    for (const Family single : {Family::kUsers, Family::kLocks}) {
      check(batch.Delete(family(single), prefix), "build a write batch");
    }
    for (const Family rows : {Family::kItems, Family::kDevices, Family::kHistory}) {
      check(batch.DeleteRange(family(rows), prefix, end), "build a write batch");
    }
  }

  // The stored user record, if any.
  [[nodiscard]] std::optional<UserRecord> load_record(std::string_view user_id) const {
    rocksdb::PinnableSlice value;
    if (!get(rocksdb::ReadOptions(), Family::kUsers, codec::user_prefix(user_id), value)) {
      return std::nullopt;
    }
    return codec::decode_user(user_id, view(value));
  }

  // One past the highest sequence ever committed: the high-water mark, or the last
  // outbox key for a store written before the mark existed.
  [[nodiscard]] std::uint64_t recover_next_sequence() const {
    std::uint64_t highest = 0;
    rocksdb::PinnableSlice high_water;
    if (get(rocksdb::ReadOptions(), Family::kDefault, kOutboxHighWaterKey, high_water)) {
      highest = decode_sequence(view(high_water), "outbox high-water mark");
    }
    const std::unique_ptr<rocksdb::Iterator> it(
        db->NewIterator(rocksdb::ReadOptions(), family(Family::kOutbox)));
    it->SeekToLast();
    if (it->Valid()) highest = std::max(highest, codec::outbox_sequence(view(it->key())));
    check(it->status(), "read the outbox");
    return highest + 1;
  }
};

RocksDbStore::RocksDbStore(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}

RocksDbStore::~RocksDbStore() = default;

std::unique_ptr<RocksDbStore> RocksDbStore::open(const RocksDbConfig& config) {
  auto impl = std::make_unique<Impl>();
  impl->config = config;

  std::error_code error;
  std::filesystem::create_directories(config.path, error);
  if (error) {
    throw StoreUnavailable("rocksdb store at '" + config.path +
                           "': cannot create the data directory: " + error.message());
  }

  const std::shared_ptr<rocksdb::Cache> block_cache =
      rocksdb::NewLRUCache(config.block_cache_bytes);
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (std::size_t index = 0; index < kFamilyNames.size(); ++index) {
    descriptors.emplace_back(kFamilyNames[index],
                             family_options(static_cast<Family>(index), block_cache));
  }
  rocksdb::DB* db = nullptr;
  const rocksdb::Status status =
      rocksdb::DB::Open(database_options(config), config.path, descriptors, &impl->handles, &db);
  impl->db.reset(db);
  if (!status.ok() && held_by_another_process(std::filesystem::path(config.path) / kLockFile)) {
    throw DataDirInUse("rocksdb store at '" + config.path +
                       "': the data directory is in use by another process");
  }
  impl->check(status, "open the database");

  impl->sequences.start_at(impl->recover_next_sequence());
  return std::unique_ptr<RocksDbStore>(new RocksDbStore(std::move(impl)));
}

UserState RocksDbStore::load_user(std::string_view user_id) {
  Impl& store = *impl_;
  store.counters.users_loaded.fetch_add(1, std::memory_order_relaxed);

  // One snapshot for every read, so a concurrent commit is seen entirely or not at all.
  rocksdb::ManagedSnapshot snapshot(store.db.get());
  rocksdb::ReadOptions read;
  read.snapshot = snapshot.snapshot();
  const std::string prefix = rocksdb_codec::user_prefix(user_id);

  UserState state;
  rocksdb::PinnableSlice value;
  if (store.get(read, Family::kUsers, prefix, value)) {
    state.exists = true;
    state.user = rocksdb_codec::decode_user(user_id, view(value));
  } else {
    state.user.user_id = user_id;
  }
  // Rows arrive in key order, so each put appends.
  store.scan_prefix(
      Family::kItems, read, prefix, [&](std::string_view key, std::string_view bytes) {
        state.items.put(std::make_shared<const Item>(rocksdb_codec::decode_item(key, bytes)));
      });
  value.Reset();
  if (store.get(read, Family::kLocks, prefix, value)) {
    state.lock = rocksdb_codec::decode_lock(view(value));
  }
  store.scan_prefix(Family::kDevices, read, prefix,
                    [&](std::string_view instance_id, std::string_view bytes) {
                      state.devices.push_back(rocksdb_codec::decode_device(instance_id, bytes));
                    });
  return state;
}

std::uint64_t RocksDbStore::load_revision(std::string_view user_id) {
  const std::optional<UserRecord> user = impl_->load_record(user_id);
  return user ? user->revision : 0;
}

std::vector<CommitStatus> RocksDbStore::commit(std::span<WriteSet> batch) {
  Impl& store = *impl_;
  std::vector<CommitStatus> statuses(batch.size(), CommitStatus::committed);

  // The precondition: each write set expects the revision its user has after the
  // batch's earlier write sets. A user's first refusal refuses the rest of its sets.
  // Every write set stores the user record, carrying the next revision.
  struct Tracked {
    std::optional<UserRecord> record;
    bool refused = false;
  };
  std::unordered_map<std::string_view, Tracked> users;
  std::vector<UserRecord> records(batch.size());
  std::size_t outbox_entries = 0;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const WriteSet& writes = batch[i];
    if (writes.empty()) continue;
    auto [tracked, inserted] = users.try_emplace(writes.user_id);
    if (inserted) tracked->second.record = store.load_record(writes.user_id);
    Tracked& user = tracked->second;
    const std::uint64_t stored = user.record ? user.record->revision : 0;
    if (user.refused || stored != writes.expected_revision) {
      user.refused = true;
      statuses[i] = CommitStatus::conflict;
      store.counters.conflicts.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    if (writes.delete_user) {
      user.record.reset();  // the user's next write set creates it again, from revision 0
      continue;
    }
    outbox_entries += writes.outbox.size();
    if (writes.user) user.record = *writes.user;
    if (!user.record) user.record.emplace();
    user.record->user_id = writes.user_id;
    user.record->revision = writes.expected_revision + 1;
    records[i] = *user.record;
  }
  const auto committed = [&](std::size_t i) {
    return statuses[i] == CommitStatus::committed && !batch[i].empty();
  };

  const std::uint64_t first_sequence =
      outbox_entries == 0 ? 0 : store.sequences.reserve(outbox_entries);
  // However the write ends (check() throws on failure), the reservation is over.
  struct ReservationEnd {
    OutboxSequences& sequences;
    std::uint64_t first;
    bool reserved;
    ~ReservationEnd() {
      if (reserved) sequences.written(first);
    }
  } reservation_end{store.sequences, first_sequence, outbox_entries != 0};
  rocksdb::WriteBatch write_batch;
  std::uint64_t sequence = first_sequence;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (committed(i)) store.add_write_set(write_batch, batch[i], records[i], sequence);
  }
  if (write_batch.Count() == 0) return statuses;
  if (outbox_entries != 0) {
    store.check(write_batch.Merge(store.family(Family::kDefault), kOutboxHighWaterKey,
                                  encode_sequence(sequence - 1)),
                "build a write batch");
  }

  rocksdb::WriteOptions options;
  options.sync = store.config.sync_wal;
  const rocksdb::Status status = store.db->Write(options, &write_batch);
  if (!status.ok()) {
    store.counters.failed_commits.fetch_add(1, std::memory_order_relaxed);
    store.check(status, "commit");
  }

  // Only a committed batch gets its sequences back; a failed one may be retried as is.
  sequence = first_sequence;
  std::size_t committed_sets = 0;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (!committed(i)) continue;
    ++committed_sets;
    if (batch[i].delete_user) continue;  // its outbox entries were not written
    for (OutboxEntry& entry : batch[i].outbox) entry.sequence = sequence++;
  }
  Impl::Counters& counters = store.counters;
  counters.commits.fetch_add(1, std::memory_order_relaxed);
  counters.write_sets.fetch_add(committed_sets, std::memory_order_relaxed);
  counters.write_batch_bytes.fetch_add(write_batch.GetDataSize(), std::memory_order_relaxed);
  if (options.sync) counters.synced_writes.fetch_add(1, std::memory_order_relaxed);
  counters.outbox_written.fetch_add(outbox_entries, std::memory_order_relaxed);
  return statuses;
}

std::vector<std::string> RocksDbStore::list_users(std::string_view after, std::size_t limit) {
  Impl& store = *impl_;
  std::vector<std::string> users;
  if (limit == 0) return users;
  // Key order: by the id's length, then its bytes (see key_codec.hpp).
  const std::string start = after.empty() ? std::string() : rocksdb_codec::user_prefix(after);
  const std::unique_ptr<rocksdb::Iterator> it(
      store.db->NewIterator(rocksdb::ReadOptions(), store.family(Family::kUsers)));
  for (it->Seek(start); it->Valid() && users.size() < limit; it->Next()) {
    if (!after.empty() && view(it->key()) == start) continue;
    users.push_back(rocksdb_codec::user_of_key(view(it->key())));
  }
  store.check(it->status(), "list users");
  return users;
}

std::vector<OutboxEntry> RocksDbStore::read_outbox(std::size_t max_entries) {
  Impl& store = *impl_;
  std::vector<OutboxEntry> entries;
  if (max_entries == 0) return entries;
  entries.reserve(std::min<std::size_t>(max_entries, 1024));

  // Before the iterator exists: whatever it cannot see is at or above this.
  const std::uint64_t in_flight = store.sequences.lowest_in_flight();
  const std::uint64_t start = store.outbox_read_from.load();
  const std::unique_ptr<rocksdb::Iterator> it(
      store.db->NewIterator(rocksdb::ReadOptions(), store.family(Family::kOutbox)));
  for (it->Seek(rocksdb_codec::outbox_key(start)); it->Valid() && entries.size() < max_entries;
       it->Next()) {
    entries.push_back(rocksdb_codec::decode_outbox(rocksdb_codec::outbox_sequence(view(it->key())),
                                                   view(it->value())));
  }
  store.check(it->status(), "read the outbox");
  // Entries are removed only after being read, and new ones come at or above
  // `in_flight`: the next read can skip everything below the first one seen.
  store.outbox_read_from.store(entries.empty() ? in_flight
                                               : std::min(in_flight, entries.front().sequence));
  return entries;
}

void RocksDbStore::remove_outbox(std::span<const std::uint64_t> sequences) {
  Impl& store = *impl_;
  if (sequences.empty()) return;
  rocksdb::WriteBatch batch;
  for (const std::uint64_t sequence : sequences) {
    store.check(batch.Delete(store.family(Family::kOutbox), rocksdb_codec::outbox_key(sequence)),
                "build a write batch");
  }
  // Not synced: losing a removal in a power cut only delivers the entry again
  // (at-least-once), and the next synced commit persists it anyway.
  store.check(store.db->Write(rocksdb::WriteOptions(), &batch), "remove outbox entries");
  store.counters.outbox_removed.fetch_add(sequences.size(), std::memory_order_relaxed);
}

// History keys are ordered by user and nonce, not by time, so finding old records
// means scanning the family. A time-ordered index would cost an extra write on every
// commit to save work in a rare background job; the scan reads sequentially and
// bypasses the block cache so it does not evict the hot user data.
std::size_t RocksDbStore::prune_history(Millis older_than) {
  Impl& store = *impl_;
  rocksdb::ReadOptions read;
  read.fill_cache = false;
  read.readahead_size = std::size_t{2} << 20U;

  std::size_t pruned = 0;
  rocksdb::WriteBatch batch;
  const auto write = [&] {
    if (batch.Count() == 0) return;
    // Not synced: a lost prune is redone by the next one.
    store.check(store.db->Write(rocksdb::WriteOptions(), &batch), "prune history");
    store.counters.history_pruned.fetch_add(batch.Count(), std::memory_order_relaxed);
    pruned += batch.Count();
    batch.Clear();
  };
  const std::unique_ptr<rocksdb::Iterator> it(
      store.db->NewIterator(read, store.family(Family::kHistory)));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    if (rocksdb_codec::decode_history_archived_at(view(it->value())) >= older_than) continue;
    store.check(batch.Delete(store.family(Family::kHistory), it->key()), "build a write batch");
    if (batch.Count() >= kPruneBatchRows) write();
  }
  store.check(it->status(), "scan history");
  write();
  return pruned;
}

void RocksDbStore::checkpoint(const std::string& directory) {
  Impl& store = *impl_;
  rocksdb::Checkpoint* raw = nullptr;
  store.check(rocksdb::Checkpoint::Create(store.db.get(), &raw), "prepare a checkpoint");
  const std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  // The WAL is flushed into table files first (log_size_for_flush 0), so the copy
  // holds every committed write without replaying a log.
  store.check(checkpoint->CreateCheckpoint(directory, /*log_size_for_flush=*/0),
              "write a checkpoint to '" + directory + "'");
}

bool RocksDbStore::ready() {
  return impl_ != nullptr && impl_->db != nullptr;
}

RocksDbStore::EngineFigures RocksDbStore::engine_figures() const {
  const Impl& store = *impl_;
  // Summed over the column families (the block cache is shared: asked once).
  const auto family_sum = [&](const std::string& property) {
    std::uint64_t total = 0;
    for (rocksdb::ColumnFamilyHandle* handle : store.handles) {
      std::uint64_t value = 0;
      if (store.db->GetIntProperty(handle, property, &value)) total += value;
    }
    return total;
  };
  const auto database = [&](const std::string& property) {
    std::uint64_t value = 0;
    return store.db->GetIntProperty(property, &value) ? value : std::uint64_t{0};
  };
  EngineFigures figures;
  figures.sst_bytes = family_sum(rocksdb::DB::Properties::kTotalSstFilesSize);
  figures.live_data_bytes = family_sum(rocksdb::DB::Properties::kEstimateLiveDataSize);
  figures.memtable_bytes = family_sum(rocksdb::DB::Properties::kCurSizeAllMemTables);
  figures.pending_compaction_bytes =
      family_sum(rocksdb::DB::Properties::kEstimatePendingCompactionBytes);
  figures.running_compactions = database(rocksdb::DB::Properties::kNumRunningCompactions);
  figures.block_cache_bytes = database(rocksdb::DB::Properties::kBlockCacheUsage);
  // RocksDB 7.8 has no property for the WAL's size: the data directory tells.
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(store.config.path, error)) {
    std::error_code size_error;
    const std::uint64_t size = entry.is_regular_file(size_error) ? entry.file_size(size_error) : 0;
    if (size_error) continue;
    figures.disk_bytes += size;
    if (entry.path().extension() == ".log") figures.wal_bytes += size;
  }
  return figures;
}

RocksDbStore::Stats RocksDbStore::stats() const noexcept {
  const Impl::Counters& counters = impl_->counters;
  const auto load = [](const std::atomic<std::uint64_t>& counter) {
    return counter.load(std::memory_order_relaxed);
  };
  Stats stats;
  stats.commits = load(counters.commits);
  stats.write_sets = load(counters.write_sets);
  stats.write_batch_bytes = load(counters.write_batch_bytes);
  stats.synced_writes = load(counters.synced_writes);
  stats.failed_commits = load(counters.failed_commits);
  stats.outbox_written = load(counters.outbox_written);
  stats.outbox_removed = load(counters.outbox_removed);
  stats.history_pruned = load(counters.history_pruned);
  stats.users_loaded = load(counters.users_loaded);
  stats.conflicts = load(counters.conflicts);
  return stats;
}

}  // namespace primesync
