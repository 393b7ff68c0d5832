// The Store contract tests (see store_contract.hpp). Every test talks to the store
// through the Store interface only, and plans its write sets the way the write
// queue does: on the user's stored revision, with the user record travelling in
// every write set at the next revision.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <latch>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "store_contract/store_contract.hpp"
#include "support/builders.hpp"

namespace primesync {

// Readable failure messages (found by argument-dependent lookup, this file only).
static void PrintTo(CommitStatus status, std::ostream* out) {
  *out << (status == CommitStatus::committed ? "committed" : "conflict");
}
static void PrintTo(const Item& item, std::ostream* out) {
  *out << "{key " << ::testing::PrintToString(item.key) << ", type " << item.data_type << ", "
       << item.data.size() << " data bytes, ts " << item.data_timestamp
       << (item.is_deleted ? ", deleted}" : "}");
}
static void PrintTo(const Device& device, std::ostream* out) {
  *out << "{" << device.instance_id << ", created " << device.created_at << ", seen "
       << device.last_seen_at << "}";
}
static void PrintTo(const UserRecord& user, std::ostream* out) {
  *out << "{" << ::testing::PrintToString(user.user_id) << ", salt " << user.salt << ", pwd "
       << user.pwd_hash << ", nonce " << user.nonce << ", prime " << user.is_prime << ", created "
       << user.created_at << ", revision " << user.revision << "}";
}
static void PrintTo(const Lock& lock, std::ostream* out) {
  PrintTo(lock.item, out);
  *out << " pwd " << lock.pwd_hash;
}

namespace testing {
namespace {

using Statuses = std::vector<CommitStatus>;
using Keys = std::vector<std::string>;
constexpr CommitStatus committed = CommitStatus::committed;
constexpr CommitStatus conflict = CommitStatus::conflict;
constexpr Millis kForever = std::numeric_limits<Millis>::max();

WriteSet writes_for(std::string user_id) {
  WriteSet writes;
  writes.user_id = std::move(user_id);
  return writes;
}

UserRecord record_of(std::string user_id, std::int64_t nonce = 0) {
  UserRecord user;
  user.user_id = std::move(user_id);
  user.salt = "salt-of-" + user.user_id;
  user.pwd_hash = "pwd";
  user.nonce = nonce;
  user.is_prime = true;
  user.created_at = 1'700'000'000'000;
  return user;
}

// What the write queue sends: the precondition `revision`, and the user record
// (the write set's own, else `base`) at revision + 1.
void plan_on(WriteSet& writes, std::uint64_t revision, const UserRecord& base) {
  writes.expected_revision = revision;
  if (!writes.user) writes.user = base;
  writes.user->user_id = writes.user_id;
  writes.user->revision = revision + 1;
}

// Plans every write set of `batch` on its user's stored state, counting the
// batch's earlier write sets of the same user.
void plan_on_stored(Store& store, std::span<WriteSet> batch) {
  std::map<std::string, UserRecord, std::less<>> latest;
  for (WriteSet& writes : batch) {
    auto [known, inserted] = latest.try_emplace(writes.user_id);
    if (inserted) {
      const UserState stored = store.load_user(writes.user_id);
      known->second = stored.exists ? stored.user : record_of(writes.user_id);
      // A deleted user may keep its revision (see WriteSet::delete_user).
      known->second.revision = stored.user.revision;
    }
    plan_on(writes, known->second.revision, known->second);
    known->second = *writes.user;
  }
}

Statuses commit(Store& store, std::vector<WriteSet>& batch) {
  Statuses statuses = store.commit(batch);
  EXPECT_EQ(statuses.size(), batch.size()) << "one status per write set";
  return statuses;
}

// Plans the batch on the stored state and commits it; every write set must commit.
void commit_planned(Store& store, std::vector<WriteSet>& batch) {
  plan_on_stored(store, batch);
  EXPECT_EQ(commit(store, batch), Statuses(batch.size(), committed));
}

void commit_planned(Store& store, WriteSet writes) {
  std::vector<WriteSet> batch;
  batch.push_back(std::move(writes));
  commit_planned(store, batch);
}

Keys item_keys(const UserState& state) {
  Keys keys;
  for (const ItemPtr& item : state.items) keys.push_back(item->key);
  return keys;
}

std::vector<Device> sorted(std::vector<Device> devices) {
  std::sort(devices.begin(), devices.end(),
            [](const Device& a, const Device& b) { return a.instance_id < b.instance_id; });
  return devices;
}

// Every item of `expected` stored exactly (data compared byte for byte), nothing else.
void expect_items(const UserState& state, const std::vector<Item>& expected) {
  Keys keys;
  for (const Item& item : expected) keys.push_back(item.key);
  std::sort(keys.begin(), keys.end());
  Keys stored = item_keys(state);
  std::sort(stored.begin(), stored.end());
  EXPECT_EQ(stored, keys);
  for (const Item& item : expected) {
    const Item* found = state.items.find(item.key);
    if (found == nullptr) continue;  // reported above
    EXPECT_EQ(found->data_type, item.data_type) << ::testing::PrintToString(item.key);
    EXPECT_EQ(found->data_timestamp, item.data_timestamp) << ::testing::PrintToString(item.key);
    EXPECT_EQ(found->is_deleted, item.is_deleted) << ::testing::PrintToString(item.key);
    EXPECT_EQ(found->data.size(), item.data.size()) << ::testing::PrintToString(item.key);
    EXPECT_TRUE(found->data == item.data) << "data of " << ::testing::PrintToString(item.key);
  }
}

// Bytes of every value, NUL and invalid UTF-8 included.
std::string binary(std::size_t size, unsigned seed = 0) {
  std::string bytes(size, '\0');
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>((i * 7 + seed) & 0xFFU);
  return bytes;
}

// "<prefix><n>" (built by appending: GCC 12 warns, wrongly, about "k" + to_string(n)).
std::string numbered(std::string prefix, std::size_t n) {
  prefix += std::to_string(n);
  return prefix;
}

OutboxEntry outbox_entry(std::string user_id, std::string message, Millis created_at = 5) {
  OutboxEntry entry;
  entry.user_id = std::move(user_id);
  entry.message = std::move(message);
  entry.created_at = created_at;
  return entry;
}

std::vector<std::uint64_t> outbox_sequences(Store& store) {
  std::vector<std::uint64_t> sequences;
  for (const OutboxEntry& entry : store.read_outbox(100'000)) sequences.push_back(entry.sequence);
  return sequences;
}

HistoryRecord history_record(std::int64_t nonce, Millis archived_at, std::string key) {
  return HistoryRecord{nonce, archived_at, share(make_item(std::move(key), 1, "Wallet", "old"))};
}

// A user with an item, a lock, a device, a history record and an outbox entry,
// at revision 1.
void seed_user(Store& store, const std::string& user_id) {
  WriteSet writes = writes_for(user_id);
  writes.user = record_of(user_id, 1);
  writes.put_items = {share(make_item("a", 10))};
  writes.put_lock = Lock{make_lock(10), "pwd"};
  writes.put_devices = {Device{"device-A", 1, 2}};
  writes.history = {history_record(1, 100, "a")};
  writes.outbox = {outbox_entry(user_id, "seeded")};
  commit_planned(store, std::move(writes));
}

// A write set that touches every record kind of the seeded user.
WriteSet touching_everything(const std::string& user_id) {
  WriteSet writes = writes_for(user_id);
  writes.user = record_of(user_id, 99);
  writes.user->pwd_hash = "changed";
  writes.put_items = {share(make_item("a", 20, "Wallet", "overwritten")),
                      share(make_item("b", 20))};
  writes.delete_items = {"a"};
  writes.put_lock = Lock{make_lock(20, "other-lock"), "changed"};
  writes.put_devices = {Device{"device-B", 3, 4}};
  writes.delete_devices = {"device-A"};
  writes.history = {history_record(2, 100, "a"), history_record(2, 100, "b")};
  writes.outbox = {outbox_entry(user_id, "should not be queued")};
  return writes;
}

TEST_P(StoreContract, UnknownUserIsAbsent) {
  const UserState state = store().load_user("nobody");
  EXPECT_FALSE(state.exists);
  EXPECT_EQ(state.user.revision, 0U);
  EXPECT_TRUE(state.items.empty());
  EXPECT_FALSE(state.lock.has_value());
  EXPECT_TRUE(state.devices.empty());
  EXPECT_EQ(store().load_revision("nobody"), 0U);
  EXPECT_TRUE(store().read_outbox(10).empty());
  EXPECT_EQ(store().prune_history(kForever), 0U);
}

TEST_P(StoreContract, EmptyBatchCommitsNothing) {
  std::vector<WriteSet> empty;
  EXPECT_TRUE(store().commit(empty).empty());
  EXPECT_FALSE(store().load_user("u").exists);
}

TEST_P(StoreContract, ReadyIsTrue) {
  EXPECT_TRUE(store().ready());
}

TEST_P(StoreContract, CommittedWriteSetRoundTripsEveryRecordKindAndSurvivesReopen) {
  const std::string nul_data("a\0b\0\xff\x80\xc3(", 8);
  const std::vector<Item> items = {
      make_item("plain", 1'700'000'000'001, "Wallet", "a1b2c3"),
      make_item("binary", 2, "Account", nul_data),
      make_item("\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87", 3, "Address", "cyrillic key"),  // "ключ"
      make_item("\xe9\x8d\xb5-\xf0\x9f\x94\x91", 4, "Bookmark", "cjk and emoji key"),
      make_item("a.b", 5, "Network", "dotted key"),
      make_item("$dollar", 6, "Token", "dollar key"),
      make_item("with space", 7),
      make_tombstone("deleted", 8),
  };
  UserRecord user = record_of("u1", 3);
  user.salt = "0123456789abcdef0123456789abcdef";
  user.pwd_hash = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
  user.created_at = 1'700'000'000'123;
  const Lock lock{make_lock(1'700'000'000'002, std::string("lock\0cipher", 11)), user.pwd_hash};
  const std::vector<Device> devices = {Device{"phone", 10, 20}, Device{"laptop", 11, 21}};
  const std::string message = R"({"msgId":"m1","type":"CONFIG_CHANGE","userId":"u1","x":"é"})";

  WriteSet writes = writes_for("u1");
  writes.user = user;
  for (const Item& item : items) writes.put_items.push_back(share(item));
  writes.put_lock = lock;
  writes.put_devices = devices;
  writes.history = {history_record(3, 100, "plain"), history_record(3, 101, "binary")};
  writes.outbox = {outbox_entry("u1", message, 1'700'000'000'003)};
  std::vector<WriteSet> batch;
  batch.push_back(std::move(writes));
  commit_planned(store(), batch);
  const std::uint64_t sequence = batch[0].outbox[0].sequence;
  EXPECT_GT(sequence, 0U);

  const auto expect_stored = [&](const char* when) {
    SCOPED_TRACE(when);
    const UserState state = store().load_user("u1");
    EXPECT_TRUE(state.exists);
    UserRecord stored = user;
    stored.revision = 1;  // the user's first commit
    EXPECT_EQ(state.user, stored);
    EXPECT_EQ(store().load_revision("u1"), 1U);
    expect_items(state, items);
    EXPECT_EQ(state.lock, lock);
    EXPECT_EQ(sorted(state.devices), sorted(devices));

    const std::vector<OutboxEntry> outbox = store().read_outbox(10);
    ASSERT_EQ(outbox.size(), 1U);
    EXPECT_EQ(outbox[0].sequence, sequence);
    EXPECT_EQ(outbox[0].user_id, "u1");
    EXPECT_EQ(outbox[0].message, message);
    EXPECT_EQ(outbox[0].created_at, 1'700'000'000'003);
  };
  expect_stored("after the commit");
  if (reopen()) expect_stored("after reopening");
  // The history records are there too: the only way to see them is to prune them.
  EXPECT_EQ(store().prune_history(101), 1U);
  EXPECT_EQ(store().prune_history(kForever), 1U);
}

TEST_P(StoreContract, LaterWriteSetsReplaceTheUserRecordLockAndDevices) {
  seed_user(store(), "u");
  WriteSet writes = writes_for("u");
  writes.user = record_of("u", 2);
  writes.user->pwd_hash = "new-pwd";
  writes.user->is_prime = false;
  writes.put_lock = Lock{make_lock(30, "new-lock"), "new-pwd"};
  writes.put_devices = {Device{"device-A", 1, 50}};  // last seen again
  writes.put_items = {share(make_item("a", 30, "Wallet", "newer"))};
  commit_planned(store(), std::move(writes));

  const UserState state = store().load_user("u");
  UserRecord expected = record_of("u", 2);
  expected.pwd_hash = "new-pwd";
  expected.is_prime = false;
  expected.revision = 2;
  EXPECT_EQ(state.user, expected);
  EXPECT_EQ(state.lock, (Lock{make_lock(30, "new-lock"), "new-pwd"}));
  EXPECT_EQ(state.devices, (std::vector<Device>{Device{"device-A", 1, 50}}));
  expect_items(state, {make_item("a", 30, "Wallet", "newer")});
}

// Whatever a write set holds, committing it raises the revision by one, and
// load_revision() says what load_user() says.
TEST_P(StoreContract, EveryCommitRaisesTheRevisionByOne) {
  struct Case {
    const char* name;
    std::function<void(WriteSet&)> fill;
  };
  const std::vector<Case> cases = {
      {"user record only", [](WriteSet&) {}},
      {"put item", [](WriteSet& w) { w.put_items = {share(make_item("x", 1))}; }},
      {"delete item", [](WriteSet& w) { w.delete_items = {"x"}; }},
      {"delete absent item", [](WriteSet& w) { w.delete_items = {"never-stored"}; }},
      {"history", [](WriteSet& w) { w.history = {history_record(7, 100, "x")}; }},
      {"put lock",
       [](WriteSet& w) {
         w.put_lock = Lock{make_lock(1), "pwd"};
       }},
      {"delete lock", [](WriteSet& w) { w.delete_lock = true; }},
      {"delete absent lock", [](WriteSet& w) { w.delete_lock = true; }},
      {"put device",
       [](WriteSet& w) {
         w.put_devices = {Device{"d", 1, 1}};
       }},
      {"delete device", [](WriteSet& w) { w.delete_devices = {"d"}; }},
      {"delete absent device", [](WriteSet& w) { w.delete_devices = {"never-stored"}; }},
      {"outbox", [](WriteSet& w) { w.outbox = {outbox_entry("u", "m")}; }},
  };
  std::uint64_t revision = 0;
  for (const Case& test : cases) {
    SCOPED_TRACE(test.name);
    WriteSet writes = writes_for("u");
    test.fill(writes);
    commit_planned(store(), std::move(writes));
    ++revision;
    EXPECT_EQ(store().load_revision("u"), revision);
    const UserState state = store().load_user("u");
    EXPECT_TRUE(state.exists);
    EXPECT_EQ(state.user.revision, revision);
  }
  EXPECT_EQ(store().load_revision("other"), 0U) << "another user's revision did not move";
}

// A write set planned on a revision that is not the stored one: conflict, and
// nothing of it is written (items, lock, devices, user record, history, outbox).
TEST_P(StoreContract, StaleExpectedRevisionIsAConflictAndWritesNothing) {
  seed_user(store(), "u");  // revision 1
  const UserState before = store().load_user("u");
  const std::vector<OutboxEntry> outbox_before = store().read_outbox(100);
  ASSERT_EQ(outbox_before.size(), 1U);

  for (const std::uint64_t expected : {0U, 2U, 7U}) {
    SCOPED_TRACE("expected revision " + std::to_string(expected) + ", stored 1");
    std::vector<WriteSet> batch;
    batch.push_back(touching_everything("u"));
    plan_on(batch[0], expected, before.user);
    EXPECT_EQ(commit(store(), batch), Statuses{conflict});
    EXPECT_EQ(batch[0].outbox[0].sequence, 0U) << "no sequence for an entry not committed";

    const UserState after = store().load_user("u");
    EXPECT_EQ(after.user, before.user);
    EXPECT_EQ(store().load_revision("u"), 1U);
    EXPECT_EQ(item_keys(after), Keys{"a"});
    expect_items(after, {make_item("a", 10)});
    EXPECT_EQ(after.lock, before.lock);
    EXPECT_EQ(after.devices, before.devices);
    std::vector<std::uint64_t> sequences;
    for (const OutboxEntry& entry : store().read_outbox(100)) {
      sequences.push_back(entry.sequence);
      EXPECT_EQ(entry.message, "seeded");
    }
    EXPECT_EQ(sequences, std::vector<std::uint64_t>{outbox_before[0].sequence});
  }
  EXPECT_EQ(store().prune_history(kForever), 1U) << "only the seeded history record";
}

TEST_P(StoreContract, ConflictOnAUserNeverStoredLeavesItAbsent) {
  std::vector<WriteSet> batch;
  batch.push_back(touching_everything("new"));
  plan_on(batch[0], 1, record_of("new"));  // the user has no revision yet (0)
  EXPECT_EQ(commit(store(), batch), Statuses{conflict});

  const UserState state = store().load_user("new");
  EXPECT_FALSE(state.exists);
  EXPECT_EQ(state.user.revision, 0U);
  EXPECT_TRUE(state.items.empty());
  EXPECT_FALSE(state.lock.has_value());
  EXPECT_TRUE(state.devices.empty());
  EXPECT_EQ(store().load_revision("new"), 0U);
  EXPECT_TRUE(store().read_outbox(10).empty());
  EXPECT_EQ(store().prune_history(kForever), 0U);
}

// After one of its write sets conflicts, every later write set of that user in
// the batch is a conflict (it was planned on top of the refused one), even one
// that names the stored revision; other users' write sets still commit.
TEST_P(StoreContract, AfterAConflictLaterWriteSetsOfTheUserConflictOthersCommit) {
  seed_user(store(), "u1");  // revision 1
  seed_user(store(), "u2");
  std::vector<WriteSet> batch;
  const auto add = [&](const std::string& user_id, std::uint64_t expected, std::string key) {
    WriteSet writes = writes_for(user_id);
    writes.put_items = {share(make_item(key, 50))};
    writes.outbox = {outbox_entry(user_id, key)};
    plan_on(writes, expected, record_of(user_id, 1));
    batch.push_back(std::move(writes));
  };
  add("u1", 0, "u1-stale");     // conflict
  add("u2", 1, "u2-first");     // committed
  add("u1", 1, "u1-on-stale");  // names the stored revision, but follows a conflict
  add("u3", 0, "u3-new");       // committed (a new user)
  add("u1", 2, "u1-chained");   // conflict
  add("u2", 2, "u2-chained");   // committed, on top of u2-first
  EXPECT_EQ(commit(store(), batch),
            (Statuses{conflict, committed, conflict, committed, conflict, committed}));

  EXPECT_EQ(store().load_revision("u1"), 1U);
  EXPECT_EQ(item_keys(store().load_user("u1")), Keys{"a"});
  EXPECT_EQ(store().load_revision("u2"), 3U);
  EXPECT_EQ(item_keys(store().load_user("u2")), (Keys{"a", "u2-chained", "u2-first"}));
  EXPECT_EQ(store().load_revision("u3"), 1U);
  EXPECT_EQ(item_keys(store().load_user("u3")), Keys{"u3-new"});

  std::set<std::string> messages;
  for (const OutboxEntry& entry : store().read_outbox(100)) messages.insert(entry.message);
  EXPECT_EQ(messages, (std::set<std::string>{"seeded", "u2-first", "u2-chained", "u3-new"}));
  for (const std::size_t refused : {0U, 2U, 4U}) EXPECT_EQ(batch[refused].outbox[0].sequence, 0U);
}

// Two or three write sets of one user in one batch, each naming the revision the
// one before it leaves.
TEST_P(StoreContract, ChainedWriteSetsOfOneUserInOneBatch) {
  struct Case {
    const char* name;
    std::vector<std::uint64_t> expected;  // relative to the stored revision R (offset)
    Statuses statuses;
    std::uint64_t revision_after;  // relative to R
  };
  const std::vector<Case> cases = {
      {"R then R+1", {0, 1}, {committed, committed}, 2},
      {"R, R+1, R+2", {0, 1, 2}, {committed, committed, committed}, 3},
      {"R then R again", {0, 0}, {committed, conflict}, 1},
      {"R then R+2", {0, 2}, {committed, conflict}, 1},
      {"R+1 then R+2", {1, 2}, {conflict, conflict}, 0},
  };
  for (const std::string user_id : {"fresh", "seeded"}) {
    if (user_id == "seeded") seed_user(store(), "seeded");
    for (const Case& test : cases) {
      SCOPED_TRACE(user_id + ": " + test.name);
      const UserState before = store().load_user(user_id);
      const std::uint64_t stored = before.user.revision;
      std::vector<WriteSet> batch;
      for (std::size_t i = 0; i < test.expected.size(); ++i) {
        WriteSet writes = writes_for(user_id);
        writes.user = record_of(user_id, static_cast<std::int64_t>(stored + i + 1));
        writes.put_items = {share(make_item(numbered("k", i), 1))};
        plan_on(writes, stored + test.expected[i], record_of(user_id));
        batch.push_back(std::move(writes));
      }
      EXPECT_EQ(commit(store(), batch), test.statuses);

      const UserState after = store().load_user(user_id);
      EXPECT_EQ(after.user.revision, stored + test.revision_after);
      EXPECT_EQ(store().load_revision(user_id), stored + test.revision_after);
      for (std::size_t i = 0; i < batch.size(); ++i) {
        const std::string key = numbered("k", i);
        const bool written = test.statuses[i] == committed;
        EXPECT_EQ(after.items.find(key) != nullptr, written || before.items.find(key) != nullptr)
            << key;
      }
      std::size_t last_committed = batch.size();
      for (std::size_t i = 0; i < batch.size(); ++i) {
        if (test.statuses[i] == committed) last_committed = i;
      }
      if (last_committed != batch.size()) {  // the newest committed record is the stored one
        EXPECT_EQ(after.user.nonce, batch[last_committed].user->nonce);
      } else {
        EXPECT_EQ(after.user, before.user);
      }
    }
  }
}

// Inside one write set deletes apply before puts: a key both deleted and put is
// put (items, the lock, devices).
TEST_P(StoreContract, DeletesBeforePutsInsideOneWriteSet) {
  seed_user(store(), "u");
  WriteSet writes = writes_for("u");
  writes.delete_items = {"a", "gone", "never-stored"};
  writes.put_items = {share(make_item("a", 60, "Wallet", "put again")),
                      share(make_item("gone", 60))};
  writes.delete_lock = true;
  writes.put_lock = Lock{make_lock(60, "lock put again"), "pwd"};
  writes.delete_devices = {"device-A"};
  writes.put_devices = {Device{"device-A", 1, 60}};
  commit_planned(store(), std::move(writes));

  WriteSet remove = writes_for("u");
  remove.delete_items = {"gone"};
  commit_planned(store(), std::move(remove));

  const UserState state = store().load_user("u");
  expect_items(state, {make_item("a", 60, "Wallet", "put again")});
  EXPECT_EQ(state.lock, (Lock{make_lock(60, "lock put again"), "pwd"}));
  EXPECT_EQ(state.devices, (std::vector<Device>{Device{"device-A", 1, 60}}));
}

// Write sets of one user in one batch apply in order.
TEST_P(StoreContract, WriteSetsOfABatchApplyInOrder) {
  const auto put = [](std::string data) {
    return [data](WriteSet& w) {
      w.put_items = {share(make_item("k", 1, "Wallet", data))};
      w.put_lock = Lock{make_lock(1, data), "pwd"};
      w.put_devices = {Device{"d", 1, static_cast<Millis>(data.size())}};
    };
  };
  const auto remove = [](WriteSet& w) {
    w.delete_items = {"k"};
    w.delete_lock = true;
    w.delete_devices = {"d"};
  };
  struct Case {
    const char* name;
    std::vector<std::function<void(WriteSet&)>> steps;
    std::optional<std::string> survivor;  // the data of k and of the lock, if any
  };
  const std::vector<Case> cases = {
      {"put then delete", {put("first"), remove}, std::nullopt},
      {"delete then put", {remove, put("second")}, "second"},
      {"put then put", {put("first"), put("second!")}, "second!"},
      {"put, delete, put", {put("first"), remove, put("third")}, "third"},
  };
  for (const Case& test : cases) {
    SCOPED_TRACE(test.name);
    const std::string user_id = std::string("user ") + test.name;
    std::vector<WriteSet> batch;
    for (const auto& step : test.steps) {
      batch.push_back(writes_for(user_id));
      step(batch.back());
    }
    commit_planned(store(), batch);

    const UserState state = store().load_user(user_id);
    EXPECT_EQ(state.user.revision, test.steps.size());
    if (test.survivor) {
      expect_items(state, {make_item("k", 1, "Wallet", *test.survivor)});
      ASSERT_TRUE(state.lock.has_value());
      EXPECT_EQ(state.lock->item.data, *test.survivor);
      EXPECT_EQ(state.devices,
                (std::vector<Device>{Device{"d", 1, static_cast<Millis>(test.survivor->size())}}));
    } else {
      EXPECT_TRUE(state.items.empty());
      EXPECT_FALSE(state.lock.has_value());
      EXPECT_TRUE(state.devices.empty());
    }
  }
}

// Ids that are prefixes of each other, or that a naive "user:key" concatenation
// would mix up ("a" + "b:x" and "a:b" + "x").
TEST_P(StoreContract, UsersWhoseIdsArePrefixesOfEachOtherStayApart) {
  const std::vector<std::string> users = {"a", "ab", "abc", "a:b", "a/b", "b"};
  std::vector<WriteSet> batch;
  for (const std::string& user_id : users) {
    WriteSet writes = writes_for(user_id);
    writes.user = record_of(user_id, static_cast<std::int64_t>(user_id.size()));
    writes.put_items = {share(make_item("item-of-" + user_id, 1)), share(make_item("b:x", 1)),
                        share(make_item("x", 1, "Wallet", "x-of-" + user_id))};
    writes.put_lock = Lock{make_lock(1, "lock-of-" + user_id), "pwd"};
    writes.put_devices = {Device{"device-of-" + user_id, 1, 1}, Device{"shared", 1, 1}};
    writes.outbox = {outbox_entry(user_id, "message-of-" + user_id)};
    batch.push_back(std::move(writes));
  }
  commit_planned(store(), batch);
  // One more commit for "a" only, deleting rows every user has.
  WriteSet remove = writes_for("a");
  remove.delete_items = {"b:x", "x"};
  remove.delete_devices = {"shared"};
  commit_planned(store(), std::move(remove));

  for (const std::string& user_id : users) {
    SCOPED_TRACE(user_id);
    const UserState state = store().load_user(user_id);
    EXPECT_EQ(state.user.nonce, static_cast<std::int64_t>(user_id.size()));
    EXPECT_EQ(state.user.revision, user_id == "a" ? 2U : 1U);
    if (user_id == "a") {
      EXPECT_EQ(item_keys(state), Keys{"item-of-a"});
      EXPECT_EQ(state.devices, (std::vector<Device>{Device{"device-of-a", 1, 1}}));
    } else {
      EXPECT_EQ(item_keys(state), (Keys{"b:x", "item-of-" + user_id, "x"}));
      ASSERT_NE(state.items.find("x"), nullptr);
      EXPECT_EQ(state.items.find("x")->data, "x-of-" + user_id);
      EXPECT_EQ(sorted(state.devices), (std::vector<Device>{Device{"device-of-" + user_id, 1, 1},
                                                            Device{"shared", 1, 1}}));
    }
    ASSERT_TRUE(state.lock.has_value());
    EXPECT_EQ(state.lock->item.data, "lock-of-" + user_id);
  }
  for (const std::string absent : {"", "ab:", "a:", "abcd", "c"}) {
    EXPECT_FALSE(store().load_user(absent).exists) << absent;
    EXPECT_TRUE(store().load_user(absent).items.empty()) << absent;
    EXPECT_EQ(store().load_revision(absent), 0U) << absent;
  }
  std::map<std::string, std::string> messages;
  for (const OutboxEntry& entry : store().read_outbox(100)) messages[entry.user_id] = entry.message;
  ASSERT_EQ(messages.size(), users.size());
  for (const std::string& user_id : users) EXPECT_EQ(messages[user_id], "message-of-" + user_id);
}

// Sequences go to committed entries only; they increase across batches (also
// after the outbox was drained, and after reopening) and per user in commit order.
TEST_P(StoreContract, OutboxSequencesGoToCommittedEntriesOnlyAndIncrease) {
  seed_user(store(), "u2");  // revision 1, one entry
  std::uint64_t highest = outbox_sequences(store()).back();
  std::map<std::string, std::vector<std::uint64_t>> per_user;
  std::vector<std::uint64_t> committed_sequences = outbox_sequences(store());

  const auto entries = [](const std::string& user_id, int count) {
    std::vector<OutboxEntry> list;
    for (int i = 0; i < count; ++i) list.push_back(outbox_entry(user_id, user_id + " m"));
    return list;
  };
  // Checks one committed batch: fresh sequences above every earlier one,
  // increasing within each user, none for the conflicting write sets.
  const auto check_batch = [&](const std::vector<WriteSet>& batch, const Statuses& statuses) {
    std::uint64_t lowest = std::numeric_limits<std::uint64_t>::max();
    std::uint64_t batch_highest = 0;
    std::set<std::uint64_t> distinct;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      for (const OutboxEntry& entry : batch[i].outbox) {
        if (statuses[i] != committed) {
          EXPECT_EQ(entry.sequence, 0U) << "write set " << i << " was not committed";
          continue;
        }
        lowest = std::min(lowest, entry.sequence);
        batch_highest = std::max(batch_highest, entry.sequence);
        distinct.insert(entry.sequence);
        committed_sequences.push_back(entry.sequence);
      }
    }
    EXPECT_GT(lowest, highest) << "a batch's sequences are above every earlier batch's";
    highest = std::max(highest, batch_highest);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (statuses[i] != committed) continue;
      std::vector<std::uint64_t>& list = per_user[batch[i].user_id];
      for (const OutboxEntry& entry : batch[i].outbox) {
        if (!list.empty()) {
          EXPECT_LT(list.back(), entry.sequence) << batch[i].user_id;
        }
        list.push_back(entry.sequence);
      }
    }
    std::size_t count = 0;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (statuses[i] == committed) count += batch[i].outbox.size();
    }
    EXPECT_EQ(distinct.size(), count) << "sequences are distinct";
  };

  std::vector<WriteSet> first(4);
  first[0].user_id = "u1";
  first[0].outbox = entries("u1", 2);
  first[1].user_id = "u2";
  first[1].outbox = entries("u2", 1);
  first[2].user_id = "u1";
  first[2].outbox = entries("u1", 1);
  first[3].user_id = "u3";
  first[3].outbox = entries("u3", 3);
  plan_on_stored(store(), first);
  plan_on(first[1], 0, record_of("u2"));  // stale: u2 is at revision 1
  const Statuses first_statuses = commit(store(), first);
  EXPECT_EQ(first_statuses, (Statuses{committed, conflict, committed, committed}));
  check_batch(first, first_statuses);

  std::vector<WriteSet> second(3);
  second[0].user_id = "u3";
  second[0].outbox = entries("u3", 1);
  second[1].user_id = "u1";
  second[1].outbox = entries("u1", 2);
  second[2].user_id = "u2";
  second[2].outbox = entries("u2", 1);
  commit_planned(store(), second);
  check_batch(second, Statuses(second.size(), committed));

  std::sort(committed_sequences.begin(), committed_sequences.end());
  EXPECT_EQ(outbox_sequences(store()), committed_sequences) << "read_outbox has exactly those";

  // Drained: sequences still do not start again.
  store().remove_outbox(committed_sequences);
  EXPECT_TRUE(store().read_outbox(100).empty());
  std::vector<WriteSet> after_drain(1);
  after_drain[0].user_id = "u1";
  after_drain[0].outbox = entries("u1", 1);
  commit_planned(store(), after_drain);
  check_batch(after_drain, Statuses{committed});

  if (reopen()) {
    std::vector<WriteSet> after_reopen(1);
    after_reopen[0].user_id = "u3";
    after_reopen[0].outbox = entries("u3", 1);
    commit_planned(store(), after_reopen);
    check_batch(after_reopen, Statuses{committed});
    store().remove_outbox(outbox_sequences(store()));
    if (reopen()) {  // drained and reopened: still no reuse
      std::vector<WriteSet> again(1);
      again[0].user_id = "u2";
      again[0].outbox = entries("u2", 1);
      commit_planned(store(), again);
      check_batch(again, Statuses{committed});
    }
  }
}

TEST_P(StoreContract, ReadOutboxReturnsOldestFirstUpToTheLimit) {
  std::vector<std::uint64_t> assigned;
  for (int i = 0; i < 5; ++i) {
    WriteSet writes = writes_for(i % 2 == 0 ? "even" : "odd");
    writes.outbox = {outbox_entry(writes.user_id, numbered("m", i), 100 + i)};
    std::vector<WriteSet> batch;
    batch.push_back(std::move(writes));
    commit_planned(store(), batch);
    assigned.push_back(batch[0].outbox[0].sequence);
  }
  EXPECT_TRUE(store().read_outbox(0).empty());

  const std::vector<OutboxEntry> first_three = store().read_outbox(3);
  ASSERT_EQ(first_three.size(), 3U);
  for (std::size_t i = 0; i < first_three.size(); ++i) {
    EXPECT_EQ(first_three[i].sequence, assigned[i]);
    EXPECT_EQ(first_three[i].message, numbered("m", i));
    EXPECT_EQ(first_three[i].user_id, i % 2 == 0 ? "even" : "odd");
    EXPECT_EQ(first_three[i].created_at, static_cast<Millis>(100 + i));
  }
  EXPECT_EQ(outbox_sequences(store()), assigned) << "all of them, oldest first";
  EXPECT_EQ(store().read_outbox(3).size(), 3U) << "reading removes nothing";
}

TEST_P(StoreContract, RemoveOutboxRemovesExactlyThoseSequences) {
  std::vector<std::uint64_t> assigned;
  std::vector<WriteSet> batch(1);
  batch[0].user_id = "u";
  for (int i = 0; i < 6; ++i) batch[0].outbox.push_back(outbox_entry("u", numbered("m", i)));
  commit_planned(store(), batch);
  for (const OutboxEntry& entry : batch[0].outbox) assigned.push_back(entry.sequence);

  const std::vector<std::uint64_t> delivered = {assigned[0], assigned[2], assigned[5]};
  store().remove_outbox(delivered);
  std::vector<std::string> remaining;
  for (const OutboxEntry& entry : store().read_outbox(100)) remaining.push_back(entry.message);
  EXPECT_EQ(remaining, (std::vector<std::string>{"m1", "m3", "m4"}));

  // Removing again, or a sequence never assigned, is harmless.
  const std::vector<std::uint64_t> unknown = {assigned[0], assigned[5] + 1000};
  store().remove_outbox(unknown);
  store().remove_outbox({});
  EXPECT_EQ(outbox_sequences(store()),
            (std::vector<std::uint64_t>{assigned[1], assigned[3], assigned[4]}));
  if (reopen()) {
    EXPECT_EQ(outbox_sequences(store()),
              (std::vector<std::uint64_t>{assigned[1], assigned[3], assigned[4]}));
  }
}

TEST_P(StoreContract, PruneHistoryRemovesOnlyOlderRecordsAndCountsThem) {
  // Ten records archived at 1000..1009: u1 has the even ones, u2 the odd ones,
  // each in two commits (0..4, then 5..9).
  for (const std::string user_id : {"u1", "u2"}) {
    for (int commit = 0; commit < 2; ++commit) {
      WriteSet writes = writes_for(user_id);
      for (int i = commit * 5; i < commit * 5 + 5; ++i) {
        if ((i % 2 == 0) != (user_id == "u1")) continue;
        writes.history.push_back(history_record(i + 1, 1000 + i, numbered("k", i)));
      }
      commit_planned(store(), std::move(writes));
    }
  }
  const auto expect_pruned = [&](Millis older_than, std::size_t count) {
    EXPECT_EQ(store().prune_history(older_than), count) << "older than " << older_than;
  };
  expect_pruned(1000, 0);
  expect_pruned(1004, 4);  // archived at 1000..1003
  expect_pruned(1004, 0);
  if (reopen()) expect_pruned(1004, 0);
  expect_pruned(1005, 1);
  expect_pruned(kForever, 5);
  expect_pruned(kForever, 0);
  // Pruning touches history only.
  EXPECT_EQ(store().load_revision("u1"), 2U);
  EXPECT_TRUE(store().load_user("u2").exists);
}

TEST_P(StoreContract, ItemOf256KiBRoundTrips) {
  const Item big = make_item("big", 1, "Wallet", binary(256U << 10U, 3));
  const Lock lock{make_lock(1, binary(256U << 10U, 5)), "pwd"};
  WriteSet writes = writes_for("u");
  writes.put_items = {share(big)};
  writes.put_lock = lock;
  writes.history = {HistoryRecord{1, 100, share(big)}};
  writes.outbox = {outbox_entry("u", std::string(256U << 10U, 'm'))};
  commit_planned(store(), std::move(writes));

  const auto expect_stored = [&](const char* when) {
    SCOPED_TRACE(when);
    const UserState state = store().load_user("u");
    expect_items(state, {big});
    ASSERT_TRUE(state.lock.has_value());
    EXPECT_TRUE(state.lock->item.data == lock.item.data) << "lock data";
    const std::vector<OutboxEntry> outbox = store().read_outbox(1);
    ASSERT_EQ(outbox.size(), 1U);
    EXPECT_EQ(outbox[0].message.size(), 256U << 10U);
  };
  expect_stored("after the commit");
  if (reopen()) expect_stored("after reopening");
  EXPECT_EQ(store().prune_history(kForever), 1U);
}

// A write set of 1,000 items: put, then overwritten, then deleted.
TEST_P(StoreContract, WriteSetOfAThousandItemsRoundTrips) {
  constexpr int kItems = 1000;
  const auto items_at = [&](Millis timestamp, const char* tag) {
    std::vector<Item> items;
    for (int i = 0; i < kItems; ++i) {
      items.push_back(make_item(numbered("item-", i), timestamp, "Wallet",
                                tag + std::to_string(i) + binary(32, static_cast<unsigned>(i))));
    }
    return items;
  };
  const auto commit_items = [&](const std::vector<Item>& items) {
    WriteSet writes = writes_for("u");
    for (const Item& item : items) writes.put_items.push_back(share(item));
    commit_planned(store(), std::move(writes));
  };

  const std::vector<Item> first = items_at(1, "first-");
  commit_items(first);
  expect_items(store().load_user("u"), first);

  const std::vector<Item> second = items_at(2, "second-");
  commit_items(second);
  expect_items(store().load_user("u"), second);
  if (reopen()) expect_items(store().load_user("u"), second);

  WriteSet remove = writes_for("u");
  for (const Item& item : second) remove.delete_items.push_back(item.key);
  commit_planned(store(), std::move(remove));
  const UserState state = store().load_user("u");
  EXPECT_TRUE(state.items.empty());
  EXPECT_EQ(state.user.revision, 3U);
}

// Commits for different users from several threads at once: all of them land.
TEST_P(StoreContract, ConcurrentCommitsOfDifferentUsersAllLand) {
  constexpr int kThreads = 4;
  constexpr int kCommitsPerThread = 25;
  std::vector<std::vector<std::uint64_t>> sequences(kThreads);
  std::vector<int> committed_count(kThreads, 0);
  std::latch start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string user_id = numbered("user-", t);
      start.arrive_and_wait();
      for (int i = 0; i < kCommitsPerThread; ++i) {
        std::vector<WriteSet> batch(1);
        batch[0].user_id = user_id;
        batch[0].put_items = {share(make_item(numbered("item-", i), i))};
        batch[0].outbox = {outbox_entry(user_id, numbered("m", i))};
        plan_on(batch[0], static_cast<std::uint64_t>(i), record_of(user_id, i + 1));
        const Statuses statuses = store().commit(batch);
        if (statuses == Statuses{committed}) ++committed_count[t];
        sequences[t].push_back(batch[0].outbox[0].sequence);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  std::set<std::uint64_t> distinct;
  for (int t = 0; t < kThreads; ++t) {
    SCOPED_TRACE("thread " + std::to_string(t));
    EXPECT_EQ(committed_count[t], kCommitsPerThread);
    const UserState state = store().load_user(numbered("user-", t));
    EXPECT_EQ(state.user.revision, static_cast<std::uint64_t>(kCommitsPerThread));
    EXPECT_EQ(state.user.nonce, kCommitsPerThread);
    EXPECT_EQ(state.items.size(), static_cast<std::size_t>(kCommitsPerThread));
    for (int i = 0; i < kCommitsPerThread; ++i) {
      EXPECT_NE(state.items.find(numbered("item-", i)), nullptr) << i;
    }
    EXPECT_TRUE(std::is_sorted(sequences[t].begin(), sequences[t].end()))
        << "one user's sequences increase in commit order";
    distinct.insert(sequences[t].begin(), sequences[t].end());
  }
  EXPECT_EQ(distinct.size(), static_cast<std::size_t>(kThreads * kCommitsPerThread));
  EXPECT_EQ(distinct.count(0), 0U);
  EXPECT_EQ(store().read_outbox(10'000).size(), distinct.size());
}

// ---- the operator's tools: listing and deleting users (WriteSet::delete_user)

// Every id list_users gives, a page of `page` ids at a time.
Keys list_all_users(Store& store, std::size_t page) {
  Keys users;
  for (;;) {
    const Keys got = store.list_users(users.empty() ? "" : users.back(), page);
    users.insert(users.end(), got.begin(), got.end());
    if (got.size() < page) return users;
  }
}

WriteSet deletion_of(const std::string& user_id, std::uint64_t revision) {
  WriteSet writes = writes_for(user_id);
  writes.delete_user = true;
  plan_on(writes, revision, record_of(user_id));
  return writes;
}

TEST_P(StoreContract, ListUsersPagesThroughEveryStoredUserOnce) {
  EXPECT_TRUE(store().list_users("", 10).empty());
  const Keys users = {"a", "ab", "b", "carol", "a:b", "\xd0\xba"};
  for (const std::string& user_id : users) seed_user(store(), user_id);
  // A refused write set of a new user stores nothing, so it is not listed.
  std::vector<WriteSet> refused;
  refused.push_back(writes_for("never"));
  plan_on(refused[0], 5, record_of("never"));
  EXPECT_EQ(commit(store(), refused), Statuses{conflict});

  for (const std::size_t page : {std::size_t{1}, std::size_t{2}, std::size_t{100}}) {
    SCOPED_TRACE("page of " + std::to_string(page));
    Keys listed = list_all_users(store(), page);
    std::sort(listed.begin(), listed.end());
    Keys expected = users;
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(listed, expected);
  }
  EXPECT_TRUE(store().list_users("", 0).empty()) << "limit 0";
  const Keys all = list_all_users(store(), 100);
  EXPECT_TRUE(store().list_users(all.back(), 10).empty()) << "nothing after the last";
  EXPECT_EQ(store().list_users("", 100), all) << "the same order every time";
}

TEST_P(StoreContract, DeleteUserRemovesEverythingOfTheUserOnlyAndSurvivesReopen) {
  seed_user(store(), "gone");
  seed_user(store(), "kept");
  const std::uint64_t revision = store().load_revision("gone");
  std::vector<WriteSet> batch;
  batch.push_back(deletion_of("gone", revision));
  EXPECT_EQ(commit(store(), batch), Statuses{committed});

  const auto expect_deleted = [&] {
    const UserState state = store().load_user("gone");
    EXPECT_FALSE(state.exists);
    EXPECT_TRUE(state.items.empty());
    EXPECT_FALSE(state.lock.has_value());
    EXPECT_TRUE(state.devices.empty());
    EXPECT_EQ(state.user.revision, store().load_revision("gone"));
    EXPECT_TRUE(state.user.revision == 0 || state.user.revision == revision + 1)
        << state.user.revision;
    EXPECT_EQ(list_all_users(store(), 10), Keys{"kept"});
    const UserState kept = store().load_user("kept");
    EXPECT_TRUE(kept.exists);
    EXPECT_EQ(item_keys(kept), Keys{"a"});
    EXPECT_TRUE(kept.lock.has_value());
    EXPECT_EQ(kept.devices.size(), 1U);
  };
  expect_deleted();
  if (reopen()) expect_deleted();
  // History is seen only by pruning it: the deleted user's record went with it.
  EXPECT_EQ(store().prune_history(kForever), 1U) << "only the kept user's history record";
}

TEST_P(StoreContract, DeleteUserWithAStaleRevisionIsAConflictAndDeletesNothing) {
  seed_user(store(), "u");
  const std::uint64_t revision = store().load_revision("u");
  std::vector<WriteSet> batch;
  batch.push_back(deletion_of("u", revision - 1));
  EXPECT_EQ(commit(store(), batch), Statuses{conflict});
  const UserState state = store().load_user("u");
  EXPECT_TRUE(state.exists);
  EXPECT_EQ(item_keys(state), Keys{"a"});
  EXPECT_EQ(state.user.revision, revision);
}

TEST_P(StoreContract, ADeletedUserIsStoredAgainFromScratch) {
  seed_user(store(), "u");
  std::vector<WriteSet> batch;
  batch.push_back(deletion_of("u", store().load_revision("u")));
  EXPECT_EQ(commit(store(), batch), Statuses{committed});

  WriteSet again = writes_for("u");
  again.user = record_of("u", 7);
  again.put_items = {share(make_item("fresh", 1))};
  commit_planned(store(), std::move(again));
  const UserState state = store().load_user("u");
  EXPECT_TRUE(state.exists);
  EXPECT_EQ(state.user.nonce, 7);
  EXPECT_EQ(item_keys(state), Keys{"fresh"}) << "nothing of before the deletion";
  EXPECT_FALSE(state.lock.has_value());
  EXPECT_TRUE(state.devices.empty());
  EXPECT_EQ(state.user.revision, store().load_revision("u"));
  EXPECT_EQ(list_all_users(store(), 10), Keys{"u"});
}

}  // namespace
}  // namespace testing
}  // namespace primesync
