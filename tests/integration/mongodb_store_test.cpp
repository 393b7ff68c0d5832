// The MongoDB store against a real MongoDB-compatible server (FerretDB from
// tools/testenv): what only a shared database can show. The Store contract every
// store meets is tests/store_contract (instantiated for this store in
// mongodb_store_contract_test.cpp).
#include "store/mongodb/mongodb_store.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "mongo_test_util.hpp"
#include "primesync/error.hpp"

namespace primesync {
namespace {

using primesync_it::json;

ItemPtr make_item(std::string key, std::string data, Millis timestamp = 1) {
  return std::make_shared<const Item>(
      Item{std::move(key), "Wallet", std::move(data), timestamp, false});
}

// A write set planned on `state`, as the write queue stamps it.
WriteSet planned_on(const UserState& state, std::string user_id) {
  WriteSet writes;
  writes.user_id = std::move(user_id);
  writes.expected_revision = state.user.revision;
  writes.user = state.user;
  writes.user->user_id = writes.user_id;
  writes.user->revision = state.user.revision + 1;
  return writes;
}

CommitStatus commit_one(Store& store, WriteSet writes) {
  std::vector<WriteSet> batch;
  batch.push_back(std::move(writes));
  return store.commit(batch).at(0);
}

class MongoDbStoreTest : public primesync_it::MongoTest {
 protected:
  [[nodiscard]] MongoDbConfig config(std::string instance_id) const {
    MongoDbConfig config;
    config.uri = primesync_it::mongodb_uri_or_empty();
    config.database = db_name_;
    config.instance_id = std::move(instance_id);
    return config;
  }

  // Sets fields of the user document directly, as another instance's half-done
  // write would have left them.
  void set_user_fields(const std::string& user_id, const std::string& set_json) {
    const auto result = command(R"({"update": "users", "updates": [{"q": {"_id": ")" + user_id +
                                R"("}, "u": {"$set": )" + set_json + "}}]}");
    ASSERT_TRUE(result.ok) << result.message << " " << result.reply;
  }

  [[nodiscard]] std::int64_t count(const std::string& collection, const std::string& filter) {
    const auto result = command(R"({"count": ")" + collection + R"(", "query": )" + filter + "}");
    EXPECT_TRUE(result.ok) << result.message;
    return primesync_it::get_int(json(result.reply).get(), "n");
  }
};

TEST_F(MongoDbStoreTest, TwoInstancesCommittingForOneUserLoseNoNonceAndNoItem) {
  auto first = MongoDbStore::open(config("instance-a"));
  auto second = MongoDbStore::open(config("instance-b"));
  constexpr int kWriters = 4;
  constexpr int kCommitsPerWriter = 6;
  constexpr int kAttemptsPerCommit = 200;
  std::atomic<int> conflicts{0};
  std::vector<std::thread> writers;
  const auto started = std::chrono::steady_clock::now();
  for (int writer = 0; writer < kWriters; ++writer) {
    writers.emplace_back([&, writer] {
      Store& store = writer % 2 == 0 ? static_cast<Store&>(*first) : *second;
      for (int i = 0; i < kCommitsPerWriter; ++i) {
        for (int attempt = 0; attempt < kAttemptsPerCommit; ++attempt) {
          UserState state;
          try {
            state = store.load_user("shared");
          } catch (const StoreUnavailable&) {
            continue;  // what a client sees as 50300: it tries again
          }
          WriteSet writes = planned_on(state, "shared");
          writes.user->nonce = state.user.nonce + 1;
          writes.put_items.push_back(
              make_item("w" + std::to_string(writer) + "-" + std::to_string(i), "data"));
          if (commit_one(store, std::move(writes)) == CommitStatus::committed) break;
          conflicts.fetch_add(1);
        }
      }
    });
  }
  for (std::thread& thread : writers) thread.join();
  const auto elapsed = std::chrono::steady_clock::now() - started;

  const UserState state = first->load_user("shared");
  EXPECT_EQ(state.user.nonce, kWriters * kCommitsPerWriter);
  EXPECT_EQ(state.user.revision, static_cast<std::uint64_t>(kWriters * kCommitsPerWriter));
  EXPECT_EQ(state.items.size(), static_cast<std::size_t>(kWriters * kCommitsPerWriter));
  std::printf("[mongodb store] %d commits, %d conflicts re-planned, %lld ms\n",
              kWriters * kCommitsPerWriter, conflicts.load(),
              static_cast<long long>(
                  std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()));
}

TEST_F(MongoDbStoreTest, AnUnfinishedWriteOfAnotherInstanceIsCompletedOnLoad) {
  auto store = MongoDbStore::open(config("reader"));
  WriteSet create = planned_on(store->load_user("u"), "u");
  create.user->nonce = 1;
  create.put_items = {make_item("kept", "k"), make_item("replaced", "old")};
  ASSERT_EQ(commit_one(*store, std::move(create)), CommitStatus::committed);

  // Another instance inserted its commit record for revision 2 (the commit point)
  // and died before applying it: a delete, a put, a notification, a new nonce.
  const auto inserted = command(R"({"insert": "sync_commits", "documents": [{
      "_id": "u:2", "userId": "u", "writeId": "w-dead", "at": {"$numberLong": "1"},
      "parts": {"$numberLong": "1"},
      "set": {"revision": {"$numberLong": "2"}, "nonce": {"$numberLong": "2"}}, "unset": {},
      "deletes": ["replaced"],
      "items": [{"userId": "u", "key": "added", "dataType": "Wallet",
                 "data": {"$binary": {"base64": "bmV3", "subType": "00"}},
                 "dataTimestamp": {"$numberLong": "5"}, "isDeleted": false}],
      "history": [],
      "outbox": [{"_id": "dead:900", "sequence": {"$numberLong": "900"}, "origin": "dead",
                  "userId": "u", "message": "m", "createdAt": {"$numberLong": "1"}}]}]})");
  ASSERT_TRUE(inserted.ok) << inserted.message;
  EXPECT_EQ(store->load_revision("u"), 2U);  // the revision is taken already

  const UserState state = store->load_user("u");
  EXPECT_EQ(state.user.revision, 2U);
  EXPECT_EQ(state.user.nonce, 2);
  ASSERT_NE(state.items.find("added"), nullptr);
  EXPECT_EQ(state.items.find("added")->data, "new");
  EXPECT_EQ(state.items.find("replaced"), nullptr);
  EXPECT_NE(state.items.find("kept"), nullptr);
  EXPECT_EQ(count("sync_commits", "{}"), 0);  // applied records are dropped
  EXPECT_EQ(count("sync_outbox", R"({"_id": "dead:900"})"), 1);
  EXPECT_EQ(store->stats().roll_forwards, 1U);

  // A write planned on the completed state commits on top of it.
  WriteSet next = planned_on(state, "u");
  next.put_items = {make_item("after", "a")};
  EXPECT_EQ(commit_one(*store, std::move(next)), CommitStatus::committed);
  EXPECT_EQ(store->load_user("u").items.size(), 3U);
}

TEST_F(MongoDbStoreTest, AWriteOnARevisionAnotherInstanceTookIsAConflict) {
  auto store = MongoDbStore::open(config("writer"));
  ASSERT_EQ(commit_one(*store, planned_on(store->load_user("u"), "u")), CommitStatus::committed);
  const UserState before = store->load_user("u");
  const auto taken = command(R"({"insert": "sync_commits", "documents": [{
      "_id": "u:2", "userId": "u", "writeId": "w-live", "at": {"$numberLong": "1"},
      "parts": {"$numberLong": "1"}, "set": {"revision": {"$numberLong": "2"}}, "unset": {},
      "deletes": [], "items": [], "history": [], "outbox": []}]})");
  ASSERT_TRUE(taken.ok) << taken.message;

  WriteSet writes = planned_on(before, "u");
  writes.put_items = {make_item("k", "v")};
  writes.put_items.push_back(make_item("big", std::string(5U << 20U, 'x')));  // a second part
  EXPECT_EQ(commit_one(*store, std::move(writes)), CommitStatus::conflict);
  EXPECT_EQ(count("sync_items", "{}"), 0);
  EXPECT_EQ(count("sync_intents", "{}"), 0);  // the refused commit's parts are gone too
}

TEST_F(MongoDbStoreTest, AStaleWriteOnADroppedRecordIsWithdrawn) {
  auto store = MongoDbStore::open(config("writer"));
  const UserState fresh = store->load_user("u");
  ASSERT_EQ(commit_one(*store, planned_on(fresh, "u")), CommitStatus::committed);
  ASSERT_EQ(commit_one(*store, planned_on(store->load_user("u"), "u")), CommitStatus::committed);
  ASSERT_EQ(commit_one(*store, planned_on(store->load_user("u"), "u")), CommitStatus::committed);
  // Planned on revision 1; the record of revision 2 was applied and dropped since.
  WriteSet stale = planned_on(fresh, "u");
  stale.expected_revision = 1;
  stale.user->revision = 2;
  stale.put_items = {make_item("lost", "x")};
  EXPECT_EQ(commit_one(*store, std::move(stale)), CommitStatus::conflict);
  EXPECT_EQ(store->load_user("u").user.revision, 3U);
  EXPECT_EQ(count("sync_items", "{}"), 0);
  EXPECT_EQ(count("sync_commits", R"({"_id": "u:2"})"), 0);
}

TEST_F(MongoDbStoreTest, EachInstanceDeliversOnlyItsOwnOutbox) {
  auto first = MongoDbStore::open(config("instance-a"));
  auto second = MongoDbStore::open(config("instance-b"));
  WriteSet writes = planned_on(first->load_user("u"), "u");
  writes.outbox = {OutboxEntry{0, "u", "hello", 1}};
  ASSERT_EQ(commit_one(*first, std::move(writes)), CommitStatus::committed);

  EXPECT_TRUE(second->read_outbox(10).empty());
  const std::vector<OutboxEntry> mine = first->read_outbox(10);
  ASSERT_EQ(mine.size(), 1U);
  EXPECT_EQ(mine[0].message, "hello");
}

TEST_F(MongoDbStoreTest, TwoInstancesCommittingAtOnceKeepEveryNotification) {
  // Sequences are per instance: the same number from two instances must not
  // make one entry overwrite or swallow the other.
  auto first = MongoDbStore::open(config("instance-a"));
  auto second = MongoDbStore::open(config("instance-b"));
  constexpr int kCommits = 20;
  const auto commit_notifications = [&](Store& store, const std::string& user_id) {
    for (int i = 0; i < kCommits; ++i) {
      WriteSet writes = planned_on(store.load_user(user_id), user_id);
      writes.outbox = {OutboxEntry{0, user_id, "m" + std::to_string(i), 1}};
      ASSERT_EQ(commit_one(store, std::move(writes)), CommitStatus::committed);
    }
  };
  std::thread other([&] { commit_notifications(*second, "ub"); });
  commit_notifications(*first, "ua");
  other.join();
  EXPECT_EQ(first->read_outbox(100).size(), static_cast<std::size_t>(kCommits));
  EXPECT_EQ(second->read_outbox(100).size(), static_cast<std::size_t>(kCommits));
  EXPECT_EQ(count("sync_outbox", "{}"), 2 * kCommits);
}

TEST_F(MongoDbStoreTest, AWriteSetLargerThanOneIntentDocumentRoundTrips) {
  auto store = MongoDbStore::open(config("big"));
  constexpr std::size_t kItems = 24;
  constexpr std::size_t kItemBytes = 256 * 1024;  // 6 MiB in all: two intent chunks
  WriteSet writes = planned_on(store->load_user("u"), "u");
  for (std::size_t i = 0; i < kItems; ++i) {
    writes.put_items.push_back(
        make_item("k" + std::to_string(i), std::string(kItemBytes, static_cast<char>('a' + i))));
  }
  ASSERT_EQ(commit_one(*store, std::move(writes)), CommitStatus::committed);
  const UserState state = store->load_user("u");
  ASSERT_EQ(state.items.size(), kItems);
  EXPECT_EQ(state.items.find("k7")->data, std::string(kItemBytes, 'h'));
}

TEST(MongoDbStoreOpen, AnUnreachableServerFailsFastWithStoreUnavailable) {
  if (primesync_it::mongodb_uri_or_empty().empty()) GTEST_SKIP() << "no MongoDB test server";
  MongoDbConfig config;
  config.uri = "mongodb://127.0.0.1:1/";  // nothing listens on port 1
  config.connect_timeout = std::chrono::milliseconds(300);
  EXPECT_THROW((void)MongoDbStore::open(config), StoreUnavailable);
}

TEST(MongoDbStoreOpen, AMalformedUriNamesTheKey) {
  MongoDbConfig config;
  config.uri = "not-a-uri";
  try {
    (void)MongoDbStore::open(config);
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("sync.adapters.mongodb.uri"), std::string::npos);
  }
}

}  // namespace
}  // namespace primesync
