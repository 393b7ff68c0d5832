// The operator's tools on a store: the export document, listing in pages,
// deleting (once, idempotently) and backing up the embedded store.
#include "admin/operator_tools.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "store/rocksdb/rocksdb_store.hpp"
#include "support/builders.hpp"
#include "support/memory_store.hpp"
#include "support/temp_dir.hpp"

namespace primesync::admin {
namespace {

// Named for the suite, so a leftover is easy to place.
struct TempDir : testing::TempDir {
  TempDir() : testing::TempDir("admin_test") {}
};

using testing::make_item;
using testing::make_lock;
using testing::make_tombstone;
using testing::MemoryStore;
using testing::UserStateBuilder;

UserState seeded_user(const std::string& user_id) {
  UserState state = UserStateBuilder(user_id)
                        .pwd_hash("pwd-1")
                        .nonce(4)
                        .item(make_item("k1", 10, "Wallet", "c1"))
                        .item(make_tombstone("k2", 20))
                        .lock(make_lock(5, "lock-cipher"), "pwd-1")
                        .device("dev-A", 100, 200)
                        .build();
  state.user.salt = "salt-1";
  state.user.revision = 3;
  return state;
}

// The export as one string, and how many chunks it came in.
struct Exported {
  std::string json;
  std::size_t chunks = 0;
};

Exported export_of(const UserState& state) {
  Exported exported;
  write_user_export(state, [&](std::string_view chunk) {
    EXPECT_LE(chunk.size(), export_chunk_bytes * 2) << "chunks stay bounded";
    exported.json.append(chunk);
    ++exported.chunks;
  });
  return exported;
}

TEST(UserExportTest, HoldsTheRecordLockDevicesAndEveryItemInProtocolFieldNames) {
  const Exported exported = export_of(seeded_user("alice"));
  simdjson::dom::parser parser;
  const simdjson::dom::element root = parser.parse(exported.json);
  const simdjson::dom::element user = root["user"];
  EXPECT_EQ(std::string_view(user["userId"]), "alice");
  EXPECT_EQ(std::string_view(user["salt"]), "salt-1");
  EXPECT_EQ(std::string_view(user["pwdHash"]), "pwd-1");
  EXPECT_EQ(int64_t(user["nonce"]), 4);
  EXPECT_TRUE(bool(user["isPrime"]));
  EXPECT_EQ(uint64_t(user["revision"]), 3U);

  const simdjson::dom::element lock = root["lock"];
  EXPECT_EQ(std::string_view(lock["data"]), "lock-cipher");
  EXPECT_EQ(std::string_view(lock["pwdHash"]), "pwd-1");
  EXPECT_EQ(std::string_view(lock["userId"]), "alice");

  const simdjson::dom::array devices = root["devices"];
  ASSERT_EQ(devices.size(), 1U);
  EXPECT_EQ(std::string_view(devices.at(0)["instanceId"]), "dev-A");
  EXPECT_EQ(int64_t(devices.at(0)["createdAt"]), 100);
  EXPECT_EQ(int64_t(devices.at(0)["lastSeenAt"]), 200);

  const simdjson::dom::array items = root["items"];
  ASSERT_EQ(items.size(), 2U) << "tombstones included";
  EXPECT_EQ(std::string_view(items.at(0)["key"]), "k1");
  EXPECT_EQ(std::string_view(items.at(0)["dataType"]), "Wallet");
  EXPECT_EQ(std::string_view(items.at(0)["data"]), "c1");
  EXPECT_EQ(int64_t(items.at(0)["dataTimestamp"]), 10);
  EXPECT_FALSE(bool(items.at(0)["isDeleted"]));
  EXPECT_TRUE(bool(items.at(1)["isDeleted"]));
}

TEST(UserExportTest, AUserWithoutLockHasNull) {
  const Exported exported = export_of(UserStateBuilder("bob").build());
  simdjson::dom::parser parser;
  const simdjson::dom::element root = parser.parse(exported.json);
  EXPECT_TRUE(root["lock"].is_null());
  EXPECT_EQ(simdjson::dom::array(root["items"]).size(), 0U);
}

TEST(UserExportTest, ALargeUserStreamsInManyChunks) {
  UserStateBuilder builder("big");
  constexpr int kItems = 200;
  const std::string data(4096, 'a');
  for (int i = 0; i < kItems; ++i)
    builder.item(make_item("k" + std::to_string(i), i, "Wallet", data));
  const Exported exported = export_of(builder.build());
  EXPECT_GT(exported.chunks, kItems * data.size() / export_chunk_bytes - 1);
  simdjson::dom::parser parser;
  EXPECT_EQ(simdjson::dom::array(parser.parse(exported.json)["items"]).size(),
            static_cast<std::size_t>(kItems));
}

TEST(ExportUserTest, AnUnknownUserIsNotFound) {
  MemoryStore store;
  const auto failure = export_user(store, "nobody", [](std::string_view) { FAIL(); });
  ASSERT_TRUE(failure.has_value());
  EXPECT_EQ(failure->error, Error::not_found);
  EXPECT_NE(failure->message.find("nobody"), std::string::npos);
}

TEST(ListUsersTest, VisitsEveryUserAcrossPagesAndStopsAtTheLimit) {
  MemoryStore store;
  const std::size_t users = list_page_users * 2 + 3;
  for (std::size_t i = 0; i < users; ++i) store.put_user(seeded_user("u" + std::to_string(i)));
  std::vector<std::string> seen;
  EXPECT_EQ(list_users(store, 0, [&](const std::string& id) { seen.push_back(id); }), users);
  EXPECT_EQ(seen.size(), users);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end())) << "the memory store's order, no repeats";
  EXPECT_EQ(std::adjacent_find(seen.begin(), seen.end()), seen.end());

  std::size_t limited = 0;
  EXPECT_EQ(list_users(store, list_page_users + 1, [&](const std::string&) { ++limited; }),
            list_page_users + 1);
  EXPECT_EQ(limited, list_page_users + 1);
}

TEST(DeleteUserTest, RemovesEverythingOnceThenReportsNothingToDelete) {
  MemoryStore store;
  store.put_user(seeded_user("alice"));
  store.put_user(seeded_user("bob"));
  const auto deleted = delete_user(store, "alice", 0);
  ASSERT_TRUE(deleted);
  EXPECT_TRUE(deleted->existed);
  EXPECT_EQ(deleted->items, 2U);
  EXPECT_EQ(deleted->devices, 1U);
  EXPECT_FALSE(store.user("alice").exists);
  EXPECT_TRUE(store.user("bob").exists);

  const auto again = delete_user(store, "alice", 0);
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->existed);
}

RocksDbConfig small_rocksdb(const std::filesystem::path& path) {
  RocksDbConfig config;
  config.path = path.string();
  config.block_cache_bytes = 1U << 20U;
  config.write_buffer_bytes = 8U << 20U;
  return config;
}

// Commits a user with one item (what the write queue would send).
void store_user_with_item(Store& store, const std::string& user_id) {
  std::vector<WriteSet> batch(1);
  batch[0].user_id = user_id;
  batch[0].user = seeded_user(user_id).user;
  batch[0].put_items = {testing::share(make_item("k1", 10, "Wallet", "c1"))};
  testing::expect_stored_revisions(store, batch);
  batch[0].user->revision = batch[0].expected_revision + 1;
  ASSERT_EQ(store.commit(batch), std::vector<CommitStatus>{CommitStatus::committed});
}

TEST(BackupTest, ACheckpointOpensAsADataDirWithTheData) {
  TempDir temp;
  const std::filesystem::path backup_dir = temp.path() / "backup";
  {
    auto store = RocksDbStore::open(small_rocksdb(temp.path() / "data"));
    store_user_with_item(*store, "alice");
    const auto written = backup(store.get(), backup_dir.string());
    ASSERT_TRUE(written) << written.failure().message;
    EXPECT_EQ(written->directory, backup_dir.string());
    // Later writes are not in the backup.
    store_user_with_item(*store, "bob");
  }
  auto restored = RocksDbStore::open(small_rocksdb(backup_dir));
  const UserState alice = restored->load_user("alice");
  ASSERT_TRUE(alice.exists);
  ASSERT_NE(alice.items.find("k1"), nullptr);
  EXPECT_EQ(alice.items.find("k1")->data, "c1");
  EXPECT_FALSE(restored->load_user("bob").exists);
}

TEST(BackupTest, RefusesADirectoryThatExistsOrAMissingParent) {
  TempDir temp;
  auto store = RocksDbStore::open(small_rocksdb(temp.path() / "data"));
  const auto exists = backup(store.get(), temp.path().string());
  ASSERT_FALSE(exists);
  EXPECT_EQ(exists.failure().error, Error::bad_request);
  EXPECT_NE(exists.failure().message.find("already exists"), std::string::npos);

  const auto orphan = backup(store.get(), (temp.path() / "missing" / "backup").string());
  ASSERT_FALSE(orphan);
  EXPECT_EQ(orphan.failure().error, Error::bad_request);
}

TEST(BackupTest, OnlyTheEmbeddedStoreIsBackedUp) {
  const auto refused = backup(nullptr, "/tmp/never-written");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.failure().error, Error::bad_request);
  EXPECT_NE(refused.failure().message.find("mongodump"), std::string::npos);
}

TEST(DataDirTest, ASecondOpenerIsToldTheDirIsInUse) {
  TempDir temp;
  auto first = RocksDbStore::open(small_rocksdb(temp.path() / "data"));
  // RocksDB refuses a second open in this process too; a running server is
  // another process, which only fork can show here.
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    try {
      (void)RocksDbStore::open(small_rocksdb(temp.path() / "data"));
    } catch (const DataDirInUse&) {
      _exit(0);
    } catch (...) {
      _exit(2);
    }
    _exit(1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: opened anyway, 2: another error";
}

}  // namespace
}  // namespace primesync::admin
