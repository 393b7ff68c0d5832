#include "store/rocksdb/rocksdb_store.hpp"

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "primesync/error.hpp"
#include "store/rocksdb/key_codec.hpp"
#include "support/builders.hpp"
#include "support/temp_dir.hpp"

namespace primesync {
namespace {

// Named for the suite, so a leftover is easy to place.
struct TempDir : testing::TempDir {
  TempDir() : testing::TempDir("rocksdb_store") {}
};

ItemPtr make_item(std::string key, std::string data = "cipher", Millis timestamp = 1) {
  return std::make_shared<const Item>(Item{.key = std::move(key),
                                           .data_type = "setting",
                                           .data = std::move(data),
                                           .data_timestamp = timestamp,
                                           .is_deleted = false});
}

OutboxEntry make_outbox(std::string user_id, std::string message) {
  return OutboxEntry{.user_id = std::move(user_id), .message = std::move(message), .created_at = 5};
}

WriteSet writes_for(std::string user_id) {
  WriteSet writes;
  writes.user_id = std::move(user_id);
  return writes;
}

UserRecord user_record(std::string user_id, std::int64_t nonce = 0) {
  UserRecord user;
  user.user_id = std::move(user_id);
  user.nonce = nonce;
  return user;
}

Lock lock_of(std::string item_key) {
  return Lock{.item = *make_item(std::move(item_key)), .pwd_hash = "hash"};
}

std::vector<std::string> item_keys(const UserState& state) {
  std::vector<std::string> keys;
  for (const ItemPtr& item : state.items) keys.push_back(item->key);
  return keys;
}

class RocksDbStoreTest : public ::testing::Test {
 protected:
  RocksDbStoreTest() { reopen(); }

  void reopen() {
    store_.reset();  // closes the previous instance before the new one takes the lock
    store_ = RocksDbStore::open(config());
  }

  [[nodiscard]] RocksDbConfig config() const {
    RocksDbConfig config;
    config.path = (dir_.path() / "db").string();
    config.block_cache_bytes = 1U << 20U;
    return config;
  }

  void commit(std::vector<WriteSet>& batch) {
    testing::expect_stored_revisions(*store_, batch);
    for (const CommitStatus status : store_->commit(batch)) {
      ASSERT_EQ(status, CommitStatus::committed);
    }
  }

  void commit_one(WriteSet writes) {
    std::vector<WriteSet> batch;
    batch.push_back(std::move(writes));
    commit(batch);
  }

  TempDir dir_;
  std::unique_ptr<RocksDbStore> store_;
};

TEST_F(RocksDbStoreTest, UnknownUserIsAbsentWithItsId) {
  const UserState state = store_->load_user("nobody");
  EXPECT_FALSE(state.exists);
  EXPECT_EQ(state.user.user_id, "nobody");
  EXPECT_TRUE(state.items.empty());
  EXPECT_FALSE(state.lock.has_value());
  EXPECT_TRUE(state.devices.empty());
  EXPECT_TRUE(store_->ready());
}

TEST_F(RocksDbStoreTest, EveryRecordKindSurvivesReopen) {
  const UserRecord user{.user_id = "u1",
                        .salt = "salt",
                        .pwd_hash = "hash",
                        .nonce = 3,
                        .is_prime = true,
                        .created_at = 1700000000000};
  const Lock lock{.item = *make_item("lock", "lock-cipher"), .pwd_hash = "hash"};
  const Device phone{.instance_id = "phone", .created_at = 10, .last_seen_at = 20};
  const Device laptop{.instance_id = "laptop", .created_at = 11, .last_seen_at = 21};
  WriteSet writes = writes_for("u1");
  writes.user = user;
  writes.put_items = {make_item("k2", "two", 2), make_item("k1", "one", 1)};
  writes.history = {HistoryRecord{.nonce = 3, .archived_at = 100, .item = make_item("k1", "old")}};
  writes.put_lock = lock;
  writes.put_devices = {phone, laptop};
  writes.outbox = {make_outbox("u1", "hello")};
  commit_one(std::move(writes));

  reopen();
  const UserState state = store_->load_user("u1");
  EXPECT_TRUE(state.exists);
  UserRecord stored = user;
  stored.revision = 1;  // the first commit of the user
  EXPECT_EQ(state.user, stored);
  ASSERT_EQ(state.items.size(), 2U);
  EXPECT_EQ(*state.items.find("k1"), *make_item("k1", "one", 1));
  EXPECT_EQ(*state.items.find("k2"), *make_item("k2", "two", 2));
  EXPECT_EQ(state.lock, lock);
  EXPECT_EQ(state.devices, (std::vector<Device>{laptop, phone}));  // instance id order

  const std::vector<OutboxEntry> outbox = store_->read_outbox(10);
  ASSERT_EQ(outbox.size(), 1U);
  EXPECT_EQ(outbox[0].user_id, "u1");
  EXPECT_EQ(outbox[0].message, "hello");
  EXPECT_EQ(outbox[0].created_at, 5);
  EXPECT_EQ(store_->prune_history(101), 1U);  // the history record was there too
}

TEST_F(RocksDbStoreTest, ItemsIterateInKeyByteOrder) {
  const std::vector<std::string> keys = {"b", "a", std::string("a\0", 2), "ab", "", "\xff", "aa"};
  WriteSet writes = writes_for("u");
  for (const std::string& key : keys) writes.put_items.push_back(make_item(key));
  commit_one(std::move(writes));

  const std::vector<std::string> expected = {"",  "a",   std::string("a\0", 2), "aa", "ab",
                                             "b", "\xff"};
  EXPECT_EQ(item_keys(store_->load_user("u")), expected);
}

TEST_F(RocksDbStoreTest, UsersWhoseIdsArePrefixesOfEachOtherStayApart) {
  std::vector<WriteSet> batch;
  for (const std::string user_id : {"a", "ab", "", "b"}) {
    WriteSet writes = writes_for(user_id);
    writes.user = user_record(user_id, 1);
    writes.put_items = {make_item("item-of-" + user_id), make_item("b")};
    writes.put_lock = lock_of("lock-of-" + user_id);
    writes.put_devices = {Device{.instance_id = "device-of-" + user_id}};
    batch.push_back(std::move(writes));
  }
  commit(batch);

  for (const std::string user_id : {"a", "ab", "", "b"}) {
    const UserState state = store_->load_user(user_id);
    EXPECT_EQ(item_keys(state), (std::vector<std::string>{"b", "item-of-" + user_id}));
    ASSERT_TRUE(state.lock.has_value());
    EXPECT_EQ(state.lock->item.key, "lock-of-" + user_id);
    ASSERT_EQ(state.devices.size(), 1U);
    EXPECT_EQ(state.devices[0].instance_id, "device-of-" + user_id);
  }
  EXPECT_FALSE(store_->load_user("abc").exists);
  EXPECT_TRUE(store_->load_user("abc").items.empty());
}

TEST_F(RocksDbStoreTest, DeletesRemoveItemsLockAndDevices) {
  WriteSet create = writes_for("u");
  create.user = user_record("u");
  create.put_items = {make_item("keep"), make_item("drop")};
  create.put_lock = lock_of("lock");
  create.put_devices = {Device{.instance_id = "keep"}, Device{.instance_id = "drop"}};
  commit_one(std::move(create));

  WriteSet remove = writes_for("u");
  remove.delete_items = {"drop", "never-existed"};
  remove.delete_lock = true;
  remove.delete_devices = {"drop"};
  commit_one(std::move(remove));

  reopen();
  const UserState state = store_->load_user("u");
  EXPECT_EQ(item_keys(state), std::vector<std::string>{"keep"});
  EXPECT_FALSE(state.lock.has_value());
  ASSERT_EQ(state.devices.size(), 1U);
  EXPECT_EQ(state.devices[0].instance_id, "keep");
}

TEST_F(RocksDbStoreTest, WriteSetsOfABatchApplyInOrderDeletesBeforePuts) {
  std::vector<WriteSet> batch(2);
  batch[0].user_id = batch[1].user_id = "u";
  batch[0].put_items = {make_item("k", "first")};
  batch[0].put_lock = lock_of("lock");
  batch[1].delete_items = {"k"};
  batch[1].put_items = {make_item("k", "second")};  // a delete and a put of one key: put wins
  batch[1].delete_lock = true;
  commit(batch);

  const UserState state = store_->load_user("u");
  ASSERT_NE(state.items.find("k"), nullptr);
  EXPECT_EQ(state.items.find("k")->data, "second");
  EXPECT_FALSE(state.lock.has_value());
}

TEST_F(RocksDbStoreTest, EmptyBatchAndEmptyWriteSetsCommitNothing) {
  std::vector<WriteSet> empty;
  commit(empty);
  commit_one(writes_for("u"));
  EXPECT_EQ(store_->stats().commits, 0U);
  EXPECT_FALSE(store_->load_user("u").exists);
}

TEST_F(RocksDbStoreTest, OutboxSequencesIncreaseWithinBatchesAcrossBatchesAndReopen) {
  std::vector<std::uint64_t> sequences;
  const auto commit_entries = [&](std::size_t write_sets, std::size_t per_write_set) {
    std::vector<WriteSet> batch(write_sets);
    for (WriteSet& writes : batch) {
      writes.user_id = "u";
      for (std::size_t i = 0; i < per_write_set; ++i)
        writes.outbox.push_back(make_outbox("u", "m"));
    }
    commit(batch);
    for (const WriteSet& writes : batch) {
      for (const OutboxEntry& entry : writes.outbox) sequences.push_back(entry.sequence);
    }
  };
  commit_entries(3, 2);
  commit_entries(1, 1);
  reopen();
  commit_entries(2, 1);

  // Drain everything, then reopen: sequences still do not restart.
  std::vector<std::uint64_t> all;
  for (const OutboxEntry& entry : store_->read_outbox(100)) all.push_back(entry.sequence);
  EXPECT_EQ(all, sequences);
  store_->remove_outbox(all);
  reopen();
  commit_entries(1, 1);

  ASSERT_EQ(sequences.size(), 10U);
  EXPECT_GT(sequences.front(), 0U);
  for (std::size_t i = 1; i < sequences.size(); ++i) {
    EXPECT_LT(sequences[i - 1], sequences[i]) << "at " << i;
  }
}

TEST_F(RocksDbStoreTest, ReadOutboxIsOldestFirstAndRemoveOutboxRemoves) {
  for (int i = 0; i < 5; ++i) {
    WriteSet writes = writes_for("u");
    writes.outbox = {make_outbox("u", "m" + std::to_string(i))};
    commit_one(std::move(writes));
  }
  std::vector<OutboxEntry> first_three = store_->read_outbox(3);
  ASSERT_EQ(first_three.size(), 3U);
  EXPECT_EQ(first_three[0].message, "m0");
  EXPECT_EQ(first_three[2].message, "m2");
  EXPECT_TRUE(store_->read_outbox(0).empty());

  // Remove the first and the third; the second stays at the head.
  const std::vector<std::uint64_t> delivered = {first_three[0].sequence, first_three[2].sequence};
  store_->remove_outbox(delivered);
  std::vector<std::string> remaining;
  for (const OutboxEntry& entry : store_->read_outbox(100)) remaining.push_back(entry.message);
  EXPECT_EQ(remaining, (std::vector<std::string>{"m1", "m3", "m4"}));
  EXPECT_EQ(store_->stats().outbox_removed, 2U);
}

// Reading resumes past the removed entries (it does not scan their deletion
// markers), yet never skips one: an entry kept after a failed delivery is read
// again, and entries of commits that raced the reads are all read, each once.
TEST_F(RocksDbStoreTest, DrainingTheOutboxWhileCommitsRaceMissesNoEntry) {
  constexpr int writers = 4;
  constexpr int commits_per_writer = 300;
  std::atomic<int> writers_done{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < commits_per_writer; ++i) {
        const std::string user = "u" + std::to_string(w);
        WriteSet writes = writes_for(user);
        writes.expected_revision = static_cast<std::uint64_t>(i);
        writes.outbox = {make_outbox(user, std::to_string(w) + ":" + std::to_string(i))};
        std::vector<WriteSet> batch;
        batch.push_back(std::move(writes));
        ASSERT_EQ(store_->commit(batch).front(), CommitStatus::committed);
      }
      writers_done.fetch_add(1);
    });
  }
  std::multiset<std::string> read;
  bool kept_one = false;
  for (;;) {
    const bool finished = writers_done.load() == writers;
    std::vector<OutboxEntry> entries = store_->read_outbox(64);
    std::vector<std::uint64_t> delivered;
    for (const OutboxEntry& entry : entries) {
      if (!kept_one && entry.message == "0:100") {
        kept_one = true;  // a failed delivery: stays, and must come back
        continue;
      }
      read.insert(entry.message);
      delivered.push_back(entry.sequence);
    }
    store_->remove_outbox(delivered);
    if (finished && entries.empty()) break;
  }
  for (auto& thread : threads) thread.join();
  EXPECT_TRUE(kept_one);
  ASSERT_EQ(read.size(), static_cast<std::size_t>(writers * commits_per_writer));
  for (int w = 0; w < writers; ++w) {
    for (int i = 0; i < commits_per_writer; ++i) {
      EXPECT_EQ(read.count(std::to_string(w) + ":" + std::to_string(i)), 1U) << w << ":" << i;
    }
  }
}

TEST_F(RocksDbStoreTest, PruneHistoryDeletesOnlyOlderRecords) {
  WriteSet writes = writes_for("u");
  for (int i = 0; i < 10; ++i) {
    writes.history.push_back(
        HistoryRecord{.nonce = i, .archived_at = 1000 + i, .item = make_item("k")});
  }
  commit_one(std::move(writes));

  EXPECT_EQ(store_->prune_history(1000), 0U);
  EXPECT_EQ(store_->prune_history(1004), 4U);  // archived_at 1000..1003
  EXPECT_EQ(store_->prune_history(1004), 0U);
  reopen();
  EXPECT_EQ(store_->prune_history(5000), 6U);
}

TEST_F(RocksDbStoreTest, CorruptValueThrowsStoreUnavailable) {
  WriteSet writes = writes_for("u");
  writes.user = user_record("u");
  commit_one(std::move(writes));
  store_.reset();

  {  // Damage the user record through a raw handle on the same path.
    const std::string path = config().path;
    std::vector<std::string> names;
    ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), path, &names).ok());
    std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
    for (const std::string& name : names)
      descriptors.emplace_back(name, rocksdb::ColumnFamilyOptions());
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::DBOptions(), path, descriptors, &handles, &raw).ok());
    const std::unique_ptr<rocksdb::DB> db(raw);
    const auto users = std::find(names.begin(), names.end(), "users") - names.begin();
    EXPECT_TRUE(db->Put(rocksdb::WriteOptions(), handles[users], rocksdb_codec::user_prefix("u"),
                        "\x01garbage")
                    .ok());
    for (rocksdb::ColumnFamilyHandle* handle : handles) {
      EXPECT_TRUE(db->DestroyColumnFamilyHandle(handle).ok());
    }
  }

  reopen();
  EXPECT_THROW((void)store_->load_user("u"), StoreUnavailable);
  EXPECT_FALSE(store_->load_user("other").exists);  // the rest of the store still answers
}

TEST(RocksDbStoreOpen, PathThatIsARegularFileFailsNamingThePath) {
  const TempDir dir;
  const std::string file = (dir.path() / "not-a-directory").string();
  std::ofstream(file) << "x";
  RocksDbConfig config;
  config.path = file;
  try {
    (void)RocksDbStore::open(config);
    FAIL() << "expected StoreUnavailable";
  } catch (const StoreUnavailable& error) {
    EXPECT_NE(std::string(error.what()).find(file), std::string::npos) << error.what();
  }
}

TEST(RocksDbStoreOpen, CreatesMissingDirectories) {
  const TempDir dir;
  RocksDbConfig config;
  config.path = (dir.path() / "nested" / "data").string();
  EXPECT_TRUE(RocksDbStore::open(config)->ready());
  EXPECT_TRUE(std::filesystem::is_directory(config.path));
}

TEST_F(RocksDbStoreTest, ConcurrentCommitsOfDifferentUsersAllLand) {
  constexpr int kThreads = 4;
  constexpr int kWriteSetsPerThread = 200;
  std::vector<std::vector<std::uint64_t>> sequences(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string user_id = "user-" + std::to_string(t);
      for (int i = 0; i < kWriteSetsPerThread; ++i) {
        std::vector<WriteSet> batch(1);
        batch[0].user_id = user_id;
        batch[0].user = user_record(user_id, i + 1);
        batch[0].put_items = {make_item("item-" + std::to_string(i))};
        batch[0].outbox = {make_outbox(user_id, "m")};
        testing::expect_stored_revisions(*store_, batch);
        (void)store_->commit(batch);
        sequences[t].push_back(batch[0].outbox[0].sequence);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  std::set<std::uint64_t> distinct;
  for (int t = 0; t < kThreads; ++t) {
    const UserState state = store_->load_user("user-" + std::to_string(t));
    EXPECT_EQ(state.user.nonce, kWriteSetsPerThread);
    EXPECT_EQ(state.items.size(), static_cast<std::size_t>(kWriteSetsPerThread));
    for (int i = 0; i < kWriteSetsPerThread; ++i) {
      EXPECT_NE(state.items.find("item-" + std::to_string(i)), nullptr);
    }
    // Each thread's (one user's) sequences increase; all are distinct.
    EXPECT_TRUE(std::is_sorted(sequences[t].begin(), sequences[t].end()));
    distinct.insert(sequences[t].begin(), sequences[t].end());
  }
  EXPECT_EQ(distinct.size(), static_cast<std::size_t>(kThreads * kWriteSetsPerThread));
  EXPECT_EQ(store_->read_outbox(10000).size(), distinct.size());

  const RocksDbStore::Stats stats = store_->stats();
  EXPECT_EQ(stats.commits, static_cast<std::uint64_t>(kThreads * kWriteSetsPerThread));
  EXPECT_EQ(stats.synced_writes, stats.commits);
  EXPECT_EQ(stats.outbox_written, distinct.size());
  EXPECT_GT(stats.write_batch_bytes, 0U);
}

TEST_F(RocksDbStoreTest, EngineFiguresReportTheLogMemtablesAndDisk) {
  const RocksDbStore::EngineFigures empty = store_->engine_figures();
  WriteSet writes = writes_for("u");
  writes.user = user_record("u");
  writes.put_items = {make_item("k", std::string(64 * 1024, 'x'))};
  commit_one(std::move(writes));

  const RocksDbStore::EngineFigures figures = store_->engine_figures();
  EXPECT_GT(figures.wal_bytes, empty.wal_bytes);  // the commit is in the log
  EXPECT_GT(figures.memtable_bytes, empty.memtable_bytes);
  EXPECT_GE(figures.disk_bytes, figures.wal_bytes + figures.sst_bytes);
  EXPECT_EQ(figures.running_compactions, 0U);
}

}  // namespace
}  // namespace primesync
