#include "store/mongodb/mongodb_store.hpp"

#include <mongoc/mongoc.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <limits>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "observe/logger.hpp"
#include "primesync/error.hpp"
#include "store/hex_text.hpp"
#include "store/mongodb/bson_document.hpp"
#include "store/mongodb/mongodb_records.hpp"

namespace primesync {

namespace {

using mongodb::ArrayBuilder;
using mongodb::BsonDocument;
using mongodb::BsonReader;
using mongodb::StoredUser;
namespace field = mongodb::field;

constexpr const char* kUsers = "users";
constexpr const char* kItems = "sync_items";
constexpr const char* kHistory = "sync_history";
constexpr const char* kOutbox = "sync_outbox";
constexpr const char* kIntents = "sync_intents";
constexpr const char* kCommits = "sync_commits";
// Fields of a commit record beside the parts' arrays.
constexpr const char* kSet = "set";
constexpr const char* kUnset = "unset";
constexpr const char* kPutDevices = "putDevices";
constexpr const char* kDeleteDevices = "deleteDevices";
constexpr const char* kInstanceId = "instanceId";
constexpr const char* kNewItems = "newItems";
constexpr const char* kCommittedAt = "at";
constexpr const char* kParts = "parts";
// On a commit record: the write set deletes the user (WriteSet::delete_user).
constexpr const char* kDeleteUser = "deleteUser";
// Outbox sequences: milliseconds since the epoch, shifted, plus a counter.
constexpr unsigned kSequenceCounterBits = 20;

constexpr int kDuplicateKey = 11000;
// A commit's part stays far below MongoDB's 16 MiB document limit.
constexpr std::size_t kPartBytes = std::size_t{4} << 20U;
// Keys in one delete statement's $in, and documents in one insert command.
constexpr std::size_t kKeysPerStatement = 1000;
constexpr std::size_t kInsertsPerCommand = 1000;
constexpr std::chrono::milliseconds kHealthInterval{1000};
constexpr std::chrono::milliseconds kPendingPollFirst{1};
constexpr std::chrono::milliseconds kPendingPollLongest{50};
constexpr std::size_t kWriteIdBytes = 16;
constexpr std::size_t kHostNameBytes = 256;

// The driver's own log lines join the server's JSON log; its debug and trace
// chatter (a line per failed heartbeat while the database is down) is dropped.
void log_driver_line(mongoc_log_level_t level, const char* domain, const char* message,
                     void* /*user_data*/) {
  if (level > MONGOC_LOG_LEVEL_INFO) return;
  const observe::Level ours = level <= MONGOC_LOG_LEVEL_CRITICAL  ? observe::Level::error
                              : level == MONGOC_LOG_LEVEL_WARNING ? observe::Level::warn
                                                                  : observe::Level::info;
  observe::log_event(ours, std::string("mongodb ") + domain + ": " + message);
}

void init_driver_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    mongoc_log_set_handler(log_driver_line, nullptr);
    mongoc_init();
  });
}

[[noreturn]] void unavailable(std::string_view action, const bson_error_t& error) {
  throw StoreUnavailable("mongodb store: cannot " + std::string(action) + ": " +
                         mongodb::describe(error));
}

Millis now_millis() {
  return wall_clock_now();
}

// Thrown inside a commit when applying it took so long that another
// instance may complete it: this instance stops writing it.
struct AbandonedWrite {};

// A client of the pool, returned when it goes out of scope.
class PooledClient {
 public:
  explicit PooledClient(mongoc_client_pool_t* pool)
      : pool_(pool), client_(mongoc_client_pool_pop(pool)) {}
  ~PooledClient() { mongoc_client_pool_push(pool_, client_); }
  PooledClient(const PooledClient&) = delete;
  PooledClient& operator=(const PooledClient&) = delete;

  [[nodiscard]] mongoc_client_t* get() const noexcept { return client_; }

 private:
  mongoc_client_pool_t* pool_;
  mongoc_client_t* client_;
};

class Collection {
 public:
  Collection(mongoc_client_t* client, const std::string& database, const char* name)
      : collection_(mongoc_client_get_collection(client, database.c_str(), name)) {}
  ~Collection() { mongoc_collection_destroy(collection_); }
  Collection(const Collection&) = delete;
  Collection& operator=(const Collection&) = delete;

  [[nodiscard]] mongoc_collection_t* get() const noexcept { return collection_; }

 private:
  mongoc_collection_t* collection_;
};

// The batch indexes of a failed write's errors when every one is a duplicate key
// (an insert that an earlier attempt, or another instance completing the same
// commit, already did); nullopt when any error is something else, or there is none.
std::optional<std::vector<std::size_t>> duplicate_key_indexes(const bson_t* reply) {
  bson_iter_t iter;
  if (bson_iter_init_find(&iter, reply, "writeConcernErrors") && BSON_ITER_HOLDS_ARRAY(&iter)) {
    bson_iter_t child;
    if (bson_iter_recurse(&iter, &child) && bson_iter_next(&child)) return std::nullopt;
  }
  bson_iter_t element;
  if (!bson_iter_init_find(&iter, reply, "writeErrors") || !BSON_ITER_HOLDS_ARRAY(&iter) ||
      !bson_iter_recurse(&iter, &element)) {
    return std::nullopt;
  }
  std::vector<std::size_t> indexes;
  while (bson_iter_next(&element)) {
    bson_iter_t fields;
    if (!BSON_ITER_HOLDS_DOCUMENT(&element) || !bson_iter_recurse(&element, &fields)) {
      return std::nullopt;
    }
    std::int64_t index = -1;
    std::int64_t code = 0;
    while (bson_iter_next(&fields)) {
      const std::string_view key = bson_iter_key(&fields);
      if (key == "index") index = bson_iter_as_int64(&fields);
      if (key == "code") code = bson_iter_as_int64(&fields);
    }
    if (code != kDuplicateKey || index < 0) return std::nullopt;
    indexes.push_back(static_cast<std::size_t>(index));
  }
  if (indexes.empty()) return std::nullopt;
  return indexes;
}

// How many update statements this process has in flight at once, across all its
// threads. FerretDB holds a connection for every matching statement of an update
// command until the command ends and wedges the database when its pool (100)
// runs dry, so the statements in flight, not only those of one command, must
// stay bounded.
class StatementBudget {
 public:
  explicit StatementBudget(std::size_t capacity) : available_(capacity) {}

  void acquire(std::size_t statements) {
    std::unique_lock lock(mutex_);
    returned_.wait(lock, [&] { return available_ >= statements; });
    available_ -= statements;
  }
  void release(std::size_t statements) {
    {
      std::lock_guard lock(mutex_);
      available_ += statements;
    }
    returned_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable returned_;
  std::size_t available_;
};

// Statements sent as bulk write commands of at most `max_statements` each (FerretDB
// wedges on large update commands). Before each command `keep_going` may stop it.
class BulkWriter {
 public:
  struct Options {
    std::size_t max_statements = 0;
    bool ordered = true;
    bool duplicates_are_done = false;  // idempotent inserts
    std::string action;
    StatementBudget* budget = nullptr;  // for commands holding update statements
  };

  BulkWriter(mongoc_collection_t* collection, Options options,
             std::function<void()> before_command = {})
      : collection_(collection),
        options_(std::move(options)),
        before_command_(std::move(before_command)) {}
  ~BulkWriter() {
    if (bulk_ != nullptr) mongoc_bulk_operation_destroy(bulk_);
  }
  BulkWriter(const BulkWriter&) = delete;
  BulkWriter& operator=(const BulkWriter&) = delete;

  void insert(const bson_t* document) {
    add([&](mongoc_bulk_operation_t* bulk, bson_error_t* error) {
      return mongoc_bulk_operation_insert_with_opts(bulk, document, nullptr, error);
    });
  }
  void replace_upsert(const bson_t* filter, const bson_t* document) {
    add([&](mongoc_bulk_operation_t* bulk, bson_error_t* error) {
      BsonDocument upsert;
      upsert.append_bool("upsert", true);
      return mongoc_bulk_operation_replace_one_with_opts(bulk, filter, document, upsert.get(),
                                                         error);
    });
  }
  void replace_one(const bson_t* filter, const bson_t* document) {
    add([&](mongoc_bulk_operation_t* bulk, bson_error_t* error) {
      return mongoc_bulk_operation_replace_one_with_opts(bulk, filter, document, nullptr, error);
    });
  }
  void update_one(const bson_t* filter, const bson_t* update) {
    add([&](mongoc_bulk_operation_t* bulk, bson_error_t* error) {
      return mongoc_bulk_operation_update_one_with_opts(bulk, filter, update, nullptr, error);
    });
  }
  void upsert_one(const bson_t* filter, const bson_t* update) {
    add([&](mongoc_bulk_operation_t* bulk, bson_error_t* error) {
      BsonDocument upsert;
      upsert.append_bool("upsert", true);
      return mongoc_bulk_operation_update_one_with_opts(bulk, filter, update, upsert.get(), error);
    });
  }
  void remove_many(const bson_t* filter) {
    add([&](mongoc_bulk_operation_t* bulk, bson_error_t* error) {
      return mongoc_bulk_operation_remove_many_with_opts(bulk, filter, nullptr, error);
    });
  }

  // Sends what is gathered.
  void flush() {
    if (bulk_ == nullptr) return;
    if (before_command_) before_command_();
    BsonDocument reply;
    bson_error_t error;
    if (options_.budget != nullptr) options_.budget->acquire(count_);
    const bool ok = mongoc_bulk_operation_execute(bulk_, reply.get(), &error) != 0;
    if (options_.budget != nullptr) options_.budget->release(count_);
    mongoc_bulk_operation_destroy(bulk_);
    bulk_ = nullptr;
    count_ = 0;
    if (ok || (options_.duplicates_are_done && duplicate_key_indexes(reply.get()))) return;
    unavailable(options_.action, error);
  }

 private:
  template <typename Add>
  void add(Add&& add_statement) {
    if (bulk_ == nullptr) {
      BsonDocument options;
      options.append_bool("ordered", options_.ordered);
      bulk_ = mongoc_collection_create_bulk_operation_with_opts(collection_, options.get());
    }
    bson_error_t error;
    if (!add_statement(bulk_, &error)) unavailable(options_.action, error);
    if (++count_ >= options_.max_statements) flush();
  }

  mongoc_collection_t* collection_;
  Options options_;
  std::function<void()> before_command_;
  mongoc_bulk_operation_t* bulk_ = nullptr;
  std::size_t count_ = 0;
};

BsonDocument filter_by_id(std::string_view id) {
  BsonDocument filter;
  filter.append(field::kId, id);
  return filter;
}

BsonDocument exists(bool present) {
  BsonDocument condition;
  condition.append_bool("$exists", present);
  return condition;
}

// Splits a write set's writes outside the user document into parts of bounded
// size: documents holding the arrays deletes, items, history and outbox.
class PartsBuilder {
 public:
  void delete_key(std::string_view key) {
    if (deletes_.count() >= kKeysPerStatement) seal();
    deletes_.add(key);
    grow(key.size());
  }
  void add(ArrayBuilder PartsBuilder::*part, const BsonDocument& document) {
    (this->*part).add(document);
    grow(document.size());
  }

  // At least one part, possibly empty.
  [[nodiscard]] std::vector<BsonDocument> finish() {
    seal();
    if (parts_.empty()) seal(true);
    return std::move(parts_);
  }

  ArrayBuilder items_;      // replace stored items: upserts
  ArrayBuilder new_items_;  // keys not stored before: inserts (much cheaper on FerretDB)
  ArrayBuilder history_;
  ArrayBuilder outbox_;

 private:
  void grow(std::size_t bytes) {
    bytes_ += bytes;
    if (bytes_ >= kPartBytes) seal();
  }

  void seal(bool even_empty = false) {
    if (!even_empty && deletes_.count() + items_.count() + new_items_.count() + history_.count() +
                               outbox_.count() ==
                           0) {
      return;
    }
    BsonDocument part;
    part.append_array(field::kDeletes, deletes_.elements())
        .append_array(field::kItems, items_.elements())
        .append_array(kNewItems, new_items_.elements())
        .append_array(field::kHistory, history_.elements())
        .append_array(field::kOutbox, outbox_.elements());
    parts_.push_back(std::move(part));
    deletes_ = ArrayBuilder();
    items_ = ArrayBuilder();
    new_items_ = ArrayBuilder();
    history_ = ArrayBuilder();
    outbox_ = ArrayBuilder();
    bytes_ = 0;
  }

  ArrayBuilder deletes_;
  std::size_t bytes_ = 0;
  std::vector<BsonDocument> parts_;
};

// The commit record's id: the user and the revision it creates. The revision has
// no ':', so the last one separates them and no two users' ids collide.
std::string record_id(std::string_view user_id, std::uint64_t revision) {
  return std::string(user_id) + ":" + std::to_string(revision);
}

// One commit as stored: its record (the commit point, with the first part of its
// writes) and any further parts.
struct Commit {
  std::string user_id;
  std::uint64_t expected_revision = 0;
  std::string write_id;
  BsonDocument record;
  std::vector<BsonDocument> extra_parts;
  bool deletes_user = false;
};

std::string host_name() {
  std::array<char, kHostNameBytes> name{};
  if (gethostname(name.data(), name.size() - 1) != 0) return "primesync";
  return name.data();
}

}  // namespace

struct MongoDbStore::Impl {
  struct Counters {
    std::atomic<std::uint64_t> commits{0};
    std::atomic<std::uint64_t> write_sets{0};
    std::atomic<std::uint64_t> conflicts{0};
    std::atomic<std::uint64_t> roll_forwards{0};
    std::atomic<std::uint64_t> load_retries{0};
    std::atomic<std::uint64_t> failures{0};
    std::atomic<std::uint64_t> users_loaded{0};
  };

  MongoDbConfig config;
  std::string origin;
  mongoc_client_pool_t* pool = nullptr;
  Counters counters;
  // The last outbox sequence handed out: milliseconds since the epoch shifted by
  // kSequenceCounterBits, plus a counter, so sequences keep rising across restarts
  // without a shared counter (FerretDB's read-modify-write is not atomic).
  std::atomic<std::uint64_t> last_sequence{0};

  // Commits of this process whose writes it stopped applying (a failure or the
  // deadline): the next load completes them at once instead of waiting.
  std::mutex abandoned_mutex;
  std::unordered_set<std::string> abandoned;

  std::mutex random_mutex;
  std::mt19937_64 random{std::random_device{}()};
  // Made in open() from sync.adapters.mongodb.bulkStatements.
  std::unique_ptr<StatementBudget> update_budget;

  std::atomic<bool> healthy{false};
  std::mutex monitor_mutex;
  std::condition_variable monitor_wake;
  bool stopping = false;
  std::thread monitor;

  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() {
    {
      std::lock_guard lock(monitor_mutex);
      stopping = true;
    }
    monitor_wake.notify_all();
    if (monitor.joinable()) monitor.join();
    if (pool != nullptr) mongoc_client_pool_destroy(pool);
  }

  [[nodiscard]] Collection collection(const PooledClient& client, const char* name) const {
    return {client.get(), config.database, name};
  }

  [[nodiscard]] BulkWriter::Options bulk(std::string action, bool ordered = true,
                                         bool duplicates_are_done = false) const {
    return BulkWriter::Options{config.bulk_statements, ordered, duplicates_are_done,
                               std::move(action), update_budget.get()};
  }

  [[nodiscard]] static BulkWriter::Options inserts(std::string action) {
    return BulkWriter::Options{kInsertsPerCommand, false, true, std::move(action)};
  }

  // Counts a failure and tells the health monitor before the exception leaves.
  template <typename Operation>
  auto guarded(Operation&& operation) -> decltype(operation()) {
    try {
      return operation();
    } catch (const StoreUnavailable&) {
      counters.failures.fetch_add(1, std::memory_order_relaxed);
      healthy.store(false);
      throw;
    }
  }

  std::string new_write_id() {
    std::string bytes(kWriteIdBytes, '\0');
    std::lock_guard lock(random_mutex);
    for (char& byte : bytes) byte = static_cast<char>(random() & 0xFFU);
    std::string write_id;
    hex_text::append_hex(write_id, bytes);
    return write_id;
  }

  // Reserves `count` outbox sequences; returns the first.
  std::uint64_t reserve_sequences(std::size_t count) {
    const auto floor = static_cast<std::uint64_t>(now_millis()) << kSequenceCounterBits;
    std::uint64_t last = last_sequence.load();
    std::uint64_t first = 0;
    do {
      first = std::max(last + 1, floor);
    } while (!last_sequence.compare_exchange_weak(last, first + count - 1));
    return first;
  }

  void abandon(const std::string& id) {
    std::lock_guard lock(abandoned_mutex);
    abandoned.insert(id);
  }

  bool forget_abandoned(const std::string& id) {
    std::lock_guard lock(abandoned_mutex);
    return abandoned.erase(id) != 0;
  }

  // ---------------------------------------------------------------- setup, health

  bool ping() {
    const PooledClient client(pool);
    BsonDocument command;
    command.append("ping", std::int64_t{1});
    BsonDocument reply;
    bson_error_t error;
    return mongoc_client_command_simple(client.get(), "admin", command.get(), nullptr, reply.get(),
                                        &error);
  }

  void run_monitor() {
    std::unique_lock lock(monitor_mutex);
    while (!stopping) {
      lock.unlock();
      healthy.store(ping());
      lock.lock();
      monitor_wake.wait_for(lock, kHealthInterval, [&] { return stopping; });
    }
  }

  void create_index(const PooledClient& client, const char* collection_name, const char* name,
                    const BsonDocument& keys) {
    BsonDocument index;
    index.append_document("key", keys).append("name", name);
    if (std::string_view(name) == "userId_key") index.append_bool("unique", true);
    ArrayBuilder indexes;
    indexes.add(index);
    BsonDocument command;
    command.append("createIndexes", collection_name).append_array("indexes", indexes.elements());
    BsonDocument reply;
    bson_error_t error;
    if (!mongoc_client_command_simple(client.get(), config.database.c_str(), command.get(), nullptr,
                                      reply.get(), &error)) {
      unavailable(std::string("create the index ") + name + " of " + collection_name, error);
    }
  }

  void create_indexes() {
    const PooledClient client(pool);
    const auto keys = [](std::initializer_list<const char*> names) {
      BsonDocument document;
      for (const char* name : names) document.append(name, std::int64_t{1});
      return document;
    };
    create_index(client, kItems, "userId_key", keys({field::kUserId, field::kKey}));
    create_index(client, kHistory, "userId_nonce", keys({field::kUserId, "nonce"}));
    create_index(client, kHistory, "archivedAt", keys({field::kArchivedAt}));
    create_index(client, kOutbox, "origin_sequence", keys({field::kOrigin, field::kSequence}));
    create_index(client, kIntents, "writeId", keys({field::kWriteId}));
  }

  // The highest outbox sequence this instance ever wrote, so a restart within the
  // same millisecond (or after the clock stepped back) never reuses one.
  void recover_last_sequence() {
    const PooledClient client(pool);
    BsonDocument filter;
    filter.append(field::kOrigin, origin);
    BsonDocument sort;
    sort.append(field::kSequence, std::int64_t{-1});
    BsonDocument options;
    options.append_document("sort", sort).append("limit", std::int64_t{1});
    find(client, kOutbox, filter, options, "read the outbox", [&](const bson_t* document) {
      last_sequence.store(mongodb::decode_outbox(document).sequence);
    });
  }

  // ---------------------------------------------------------------- reading

  // Calls visit(document) for every document matching `filter`.
  template <typename Visit>
  void find(const PooledClient& client, const char* collection_name, const BsonDocument& filter,
            const BsonDocument& options, std::string_view action, Visit&& visit) const {
    const Collection source = collection(client, collection_name);
    mongoc_cursor_t* cursor =
        mongoc_collection_find_with_opts(source.get(), filter.get(), options.get(), nullptr);
    const bson_t* document = nullptr;
    try {
      while (mongoc_cursor_next(cursor, &document)) visit(document);
    } catch (...) {
      mongoc_cursor_destroy(cursor);
      throw;
    }
    bson_error_t error;
    const bool failed = mongoc_cursor_error(cursor, &error);
    mongoc_cursor_destroy(cursor);
    if (failed) unavailable(action, error);
  }

  [[nodiscard]] std::optional<BsonDocument> find_by_id(const PooledClient& client,
                                                       const char* collection_name,
                                                       std::string_view id,
                                                       std::string_view action) const {
    BsonDocument options;
    options.append("limit", std::int64_t{1});
    std::optional<BsonDocument> found;
    find(client, collection_name, filter_by_id(id), options, action,
         [&](const bson_t* document) { found = BsonDocument::adopt(bson_copy(document)); });
    return found;
  }

  // The user document and, if a commit on top of it is not applied yet, its record.
  // A deleted user has no `user` but keeps its revision.
  struct Snapshot {
    std::optional<StoredUser> user;
    std::uint64_t stored_revision = 0;
    std::optional<BsonDocument> unapplied;
    [[nodiscard]] std::uint64_t revision() const { return stored_revision; }
  };

  [[nodiscard]] Snapshot snapshot(const PooledClient& client, std::string_view user_id) const {
    Snapshot snapshot;
    if (auto document = find_by_id(client, kUsers, user_id, "read the user")) {
      snapshot.stored_revision = mongodb::decode_revision(document->get());
      if (mongodb::holds_user(document->get())) {
        snapshot.user = mongodb::decode_user(document->get());
      }
    }
    snapshot.unapplied = find_by_id(client, kCommits, record_id(user_id, snapshot.revision() + 1),
                                    "read the user's commits");
    return snapshot;
  }

  [[nodiscard]] ItemIndex load_items(const PooledClient& client, std::string_view user_id) const {
    BsonDocument filter;
    filter.append(field::kUserId, user_id);
    BsonDocument projection;
    projection.append(field::kId, std::int64_t{0}).append(field::kUserId, std::int64_t{0});
    BsonDocument options;
    options.append_document("projection", projection);
    std::vector<ItemPtr> items;
    find(client, kItems, filter, options, "read the user's items", [&](const bson_t* document) {
      items.push_back(std::make_shared<const Item>(mongodb::decode_item(document)));
    });
    // The index orders them by key (bytewise), which the server's collation need not give.
    ItemIndex index;
    index.assign(std::move(items));
    return index;
  }

  // ---------------------------------------------------------------- applying commits

  // Applies committed records (with their further parts): item deletes, item puts,
  // history, outbox, then the user document, then drops the record
  // and the parts. Every step is idempotent, so a crash anywhere is completed by
  // doing it all again. `before_command` may stop it (AbandonedWrite).
  void apply(const PooledClient& client, const std::vector<const Commit*>& commits,
             const std::function<void()>& before_command) const {
    if (commits.empty()) return;
    // Every part of every commit, with its user.
    std::vector<std::pair<const std::string*, const bson_t*>> parts;
    for (const Commit* commit : commits) {
      parts.emplace_back(&commit->user_id, commit->record.get());
      for (const BsonDocument& part : commit->extra_parts) {
        parts.emplace_back(&commit->user_id, part.get());
      }
    }
    for (const char* rows : {kItems, kHistory}) {
      // A deleted user's items and history; the user document follows below.
      const Collection target = collection(client, rows);
      BulkWriter writer(target.get(), bulk("delete the user's rows"), before_command);
      for (const Commit* commit : commits) {
        if (!commit->deletes_user) continue;
        BsonDocument filter;
        filter.append(field::kUserId, commit->user_id);
        writer.remove_many(filter.get());
      }
      writer.flush();
    }
    {
      // Deletes before puts, as apply_write_set does; ordered, so in that order.
      const Collection items = collection(client, kItems);
      BulkWriter writer(items.get(), bulk("apply item writes"), before_command);
      for (const auto& [user_id, part] : parts) {
        const BsonReader reader(part, "sync_commits");
        const auto deletes = reader.child(field::kDeletes);
        if (!deletes || bson_count_keys(deletes->get()) == 0) continue;
        BsonDocument in;
        in.append_array("$in", *deletes);
        BsonDocument filter;
        filter.append(field::kUserId, *user_id).append_document(field::kKey, in);
        writer.remove_many(filter.get());
      }
      for (const auto& [user_id, part] : parts) {
        const BsonReader reader(part, "sync_commits");
        const auto puts = reader.child(field::kItems);
        if (!puts) continue;
        mongodb::for_each_document(reader, puts->get(), [&](const bson_t* item) {
          const BsonReader fields(item, "sync_commits.items");
          BsonDocument filter;
          filter.append(field::kUserId, *user_id).append(field::kKey, fields.text(field::kKey));
          writer.replace_upsert(filter.get(), item);
        });
      }
      writer.flush();

      std::vector<BsonDocument> fresh;
      std::vector<const std::string*> owners;
      for (const auto& [user_id, part] : parts) {
        const BsonReader reader(part, "sync_commits");
        const auto added = reader.child(kNewItems);
        if (!added) continue;
        mongodb::for_each_document(reader, added->get(), [&](const bson_t* item) {
          fresh.push_back(BsonDocument::adopt(bson_copy(item)));
          owners.push_back(user_id);
        });
      }
      std::vector<const bson_t*> documents;
      documents.reserve(fresh.size());
      for (const BsonDocument& item : fresh) documents.push_back(item.get());
      for (const std::size_t index :
           insert_all(client, kItems, documents, "insert new items", before_command)) {
        const BsonReader fields(documents[index], "sync_commits.newItems");
        BsonDocument filter;
        filter.append(field::kUserId, *owners[index]).append(field::kKey, fields.text(field::kKey));
        writer.replace_upsert(filter.get(), documents[index]);
      }
      writer.flush();
    }
    const auto insert_part = [&](const char* collection_name, const char* part_name,
                                 const char* action) {
      const Collection target = collection(client, collection_name);
      BulkWriter writer(target.get(), inserts(action), before_command);
      for (const auto& [user_id, part] : parts) {
        const BsonReader reader(part, "sync_commits");
        const auto documents = reader.child(part_name);
        if (!documents) continue;
        mongodb::for_each_document(reader, documents->get(),
                                   [&](const bson_t* document) { writer.insert(document); });
      }
      writer.flush();
    };
    insert_part(kHistory, field::kHistory, "archive history");
    insert_part(kOutbox, field::kOutbox, "queue notifications");

    // The user documents: only from the revision the commit was planned on, so
    // applying twice changes nothing (a second first-commit upsert is a duplicate).
    const Collection users = collection(client, kUsers);
    BulkWriter update_users(users.get(), bulk("update the user", false, true), before_command);
    ArrayBuilder finished;
    ArrayBuilder write_ids;
    for (const Commit* commit : commits) {
      const BsonReader reader(commit->record.get(), "sync_commits");
      BsonDocument filter = filter_by_id(commit->user_id);
      if (commit->expected_revision == 0) {
        filter.append_document(field::kRevision, exists(false));
      } else {
        filter.append(field::kRevision, static_cast<std::int64_t>(commit->expected_revision));
      }
      finished.add(record_id(commit->user_id, commit->expected_revision + 1));
      if (commit->deletes_user) {
        const BsonDocument kept =
            mongodb::encode_deleted_user(commit->user_id, commit->expected_revision + 1);
        update_users.replace_one(filter.get(), kept.get());
        continue;
      }
      const BsonDocument update = user_update(reader);
      if (commit->expected_revision == 0) {
        update_users.upsert_one(filter.get(), update.get());
      } else {
        update_users.update_one(filter.get(), update.get());
      }
      if (!commit->extra_parts.empty()) write_ids.add(commit->write_id);
    }
    update_users.flush();
    // An applied record is not needed to guard its revision: a later insert of the
    // same id is withdrawn when the user document shows the revision taken.
    remove_in(client, kCommits, field::kId, finished, "drop applied commit records");
    remove_in(client, kIntents, field::kWriteId, write_ids, "drop applied commit parts");
  }

  void remove_in(const PooledClient& client, const char* collection_name, const char* key,
                 const ArrayBuilder& values, std::string_view action) const {
    if (values.count() == 0) return;
    const Collection target = collection(client, collection_name);
    BsonDocument in;
    in.append_array("$in", values.elements());
    BsonDocument filter;
    filter.append_document(key, in);
    BsonDocument reply;
    bson_error_t error;
    if (!mongoc_collection_delete_many(target.get(), filter.get(), nullptr, reply.get(), &error)) {
      unavailable(action, error);
    }
  }

  // Keeps the records of the commits being applied fresh (their `at`, every
  // quarter of the intent timeout) so that other instances wait for this one
  // instead of completing them. If it could not refresh them for half the timeout
  // (a command took that long), others may have started: it stops writing
  // (AbandonedWrite) and leaves the rest to them.
  [[nodiscard]] std::function<void()> keep_fresh(const PooledClient& client,
                                                 const std::vector<const Commit*>& commits) const {
    ArrayBuilder ids;
    for (const Commit* commit : commits) {
      ids.add(record_id(commit->user_id, commit->expected_revision + 1));
    }
    auto last =
        std::make_shared<std::chrono::steady_clock::time_point>(std::chrono::steady_clock::now());
    auto shared_ids = std::make_shared<ArrayBuilder>(std::move(ids));
    return [this, &client, last, shared_ids] {
      const auto now = std::chrono::steady_clock::now();
      if (now - *last > config.intent_timeout / 2) throw AbandonedWrite{};
      if (now - *last < config.intent_timeout / 4) return;
      const Collection records = collection(client, kCommits);
      BsonDocument in;
      in.append_array("$in", shared_ids->elements());
      BsonDocument filter;
      filter.append_document(field::kId, in);
      BsonDocument at;
      at.append(kCommittedAt, now_millis());
      BsonDocument update;
      update.append_document("$set", at);
      BsonDocument reply;
      bson_error_t error;
      if (!mongoc_collection_update_many(records.get(), filter.get(), update.get(), nullptr,
                                         reply.get(), &error)) {
        unavailable("keep a commit in progress fresh", error);
      }
      *last = now;
    };
  }

  // A commit on top of the stored user document is not applied yet: wait for its
  // writer, or complete it (at once for this process's abandoned commits; once
  // another instance's writer has not refreshed it for the intent timeout).
  // Returns when it is applied.
  void complete_unapplied(const PooledClient& client, std::string_view user_id,
                          const Snapshot& seen) {
    const BsonReader record(seen.unapplied->get(), "sync_commits");
    const std::string id = record.text(field::kId);
    if (!forget_abandoned(id)) {
      const auto timeout = std::chrono::milliseconds(config.intent_timeout).count();
      auto poll = kPendingPollFirst;
      for (;;) {
        const Snapshot now_seen = snapshot(client, user_id);
        if (now_seen.revision() != seen.revision() || !now_seen.unapplied) {
          return;  // applied (or withdrawn): the caller reads again
        }
        const Millis fresh =
            BsonReader(now_seen.unapplied->get(), "sync_commits").integer(kCommittedAt);
        if (now_millis() - fresh >= timeout) break;  // its writer stopped keeping it fresh
        std::this_thread::sleep_for(poll);
        poll = std::min(poll * 2, kPendingPollLongest);
      }
    }
    Commit commit{std::string(user_id),
                  seen.revision(),
                  record.text(field::kWriteId),
                  BsonDocument::adopt(bson_copy(seen.unapplied->get())),
                  {},
                  record.has(kDeleteUser)};
    if (record.integer(kParts) > 1) {
      BsonDocument filter;
      filter.append(field::kWriteId, commit.write_id);
      BsonDocument sort;
      sort.append(field::kId, std::int64_t{1});
      BsonDocument options;
      options.append_document("sort", sort);
      find(client, kIntents, filter, options, "read a commit's parts", [&](const bson_t* part) {
        commit.extra_parts.push_back(BsonDocument::adopt(bson_copy(part)));
      });
    }
    try {
      apply(client, {&commit}, keep_fresh(client, {&commit}));
    } catch (const AbandonedWrite&) {
      throw StoreUnavailable("mongodb store: completing an unfinished commit took too long");
    }
    counters.roll_forwards.fetch_add(1, std::memory_order_relaxed);
  }

  // ---------------------------------------------------------------- committing

  // The user document's changes of a write set, as a commit record keeps them:
  // `set` and `unset` of whole fields, the devices put and removed. (Stored field
  // names may not hold '.', so the record cannot keep the dotted device paths.)
  static void user_changes(const WriteSet& writes, BsonDocument& record) {
    const UserRecord user = writes.user ? *writes.user : UserRecord{};
    BsonDocument set;
    mongodb::append_user_fields(set, user);
    set.append(field::kRevision, static_cast<std::int64_t>(writes.expected_revision + 1));
    BsonDocument unset;
    if (writes.put_lock) {
      set.append_document(field::kLock, mongodb::encode_lock(*writes.put_lock));
    } else if (writes.delete_lock) {
      unset.append(field::kLock, "");
    }
    ArrayBuilder removed;
    for (const std::string& instance_id : writes.delete_devices) {
      const bool put_again =
          std::any_of(writes.put_devices.begin(), writes.put_devices.end(),
                      [&](const Device& device) { return device.instance_id == instance_id; });
      if (!put_again) removed.add(instance_id);  // deletes before puts: the put wins
    }
    ArrayBuilder added;
    for (const Device& device : writes.put_devices) added.add(mongodb::encode_device(device));
    record.append_document(kSet, set)
        .append_document(kUnset, unset)
        .append_array(kPutDevices, added.elements())
        .append_array(kDeleteDevices, removed.elements());
  }

  // The update of the user document that a commit record describes.
  static BsonDocument user_update(const BsonReader& record) {
    BsonDocument set;
    if (const auto fields = record.child(kSet)) bson_concat(set.get(), fields->get());
    BsonDocument unset;
    if (const auto fields = record.child(kUnset)) bson_concat(unset.get(), fields->get());
    const std::string devices = std::string(field::kDevices) + ".";
    if (const auto added = record.child(kPutDevices)) {
      mongodb::for_each_document(record, added->get(), [&](const bson_t* device) {
        const std::string path =
            devices +
            mongodb::device_field(BsonReader(device, "sync_commits.putDevices").text(kInstanceId));
        bson_append_document(set.get(), path.c_str(), static_cast<int>(path.size()), device);
      });
    }
    if (const auto removed = record.child(kDeleteDevices)) {
      bson_iter_t iter;
      if (bson_iter_init(&iter, removed->get())) {
        while (bson_iter_next(&iter)) {
          if (!BSON_ITER_HOLDS_UTF8(&iter)) record.fail(kDeleteDevices, "expected strings");
          std::uint32_t length = 0;
          const char* instance_id = bson_iter_utf8(&iter, &length);
          unset.append(devices + mongodb::device_field({instance_id, length}), "");
        }
      }
    }
    BsonDocument update;
    update.append_document("$set", set);
    if (bson_count_keys(unset.get()) != 0) update.append_document("$unset", unset);
    return update;
  }

  Commit build_commit(const WriteSet& writes, std::uint64_t first_sequence, Millis now) {
    Commit commit{writes.user_id,    writes.expected_revision, new_write_id(), {}, {},
                  writes.delete_user};
    if (writes.delete_user) {
      // Nothing but the flag: apply() deletes the user's rows and keeps its revision.
      commit.record.append(field::kId, record_id(writes.user_id, writes.expected_revision + 1))
          .append(field::kUserId, writes.user_id)
          .append(field::kWriteId, commit.write_id)
          .append(kCommittedAt, now)
          .append(kParts, std::int64_t{1})
          .append_bool(kDeleteUser, true);
      return commit;
    }
    PartsBuilder builder;
    for (const std::string& key : writes.delete_items) builder.delete_key(key);
    // A put replaces a stored item when the write set archives that key's previous
    // version and does not delete it first; every other put is of a key not stored
    // (an insert, falling back to a replace should the key exist after all).
    std::unordered_set<std::string_view> replaced;
    for (const HistoryRecord& record : writes.history) {
      if (record.item) replaced.insert(record.item->key);
    }
    for (const std::string& key : writes.delete_items) replaced.erase(key);
    for (const ItemPtr& item : writes.put_items) {
      if (!item) throw std::invalid_argument("mongodb store: null item in a write set");
      builder.add(replaced.contains(item->key) ? &PartsBuilder::items_ : &PartsBuilder::new_items_,
                  mongodb::encode_item(writes.user_id, *item));
    }
    // History and outbox ids are fixed at commit, so applying twice inserts nothing new.
    const std::string history_prefix =
        record_id(writes.user_id, writes.expected_revision + 1) + ":";
    for (std::size_t i = 0; i < writes.history.size(); ++i) {
      builder.add(&PartsBuilder::history_,
                  mongodb::encode_history(history_prefix + std::to_string(i), writes.user_id,
                                          writes.history[i]));
    }
    std::uint64_t sequence = first_sequence;
    for (const OutboxEntry& entry : writes.outbox) {
      builder.add(&PartsBuilder::outbox_, mongodb::encode_outbox(sequence++, origin, entry));
    }
    std::vector<BsonDocument> parts = builder.finish();

    commit.record.append(field::kId, record_id(writes.user_id, writes.expected_revision + 1))
        .append(field::kUserId, writes.user_id)
        .append(field::kWriteId, commit.write_id)
        .append(kCommittedAt, now)
        .append(kParts, static_cast<std::int64_t>(parts.size()));
    user_changes(writes, commit.record);
    bson_concat(commit.record.get(), parts.front().get());
    for (std::size_t i = 1; i < parts.size(); ++i) {
      BsonDocument part;
      part.append(field::kId, commit.write_id + ":" + std::to_string(i))
          .append(field::kWriteId, commit.write_id);
      bson_concat(part.get(), parts[i].get());
      commit.extra_parts.push_back(std::move(part));
    }
    return commit;
  }

  // Inserts the documents (unordered, in commands of kInsertsPerCommand); returns
  // the indexes of those whose _id or unique key was taken already.
  std::vector<std::size_t> insert_all(const PooledClient& client, const char* collection_name,
                                      const std::vector<const bson_t*>& documents,
                                      std::string_view action,
                                      const std::function<void()>& before_command = {}) const {
    std::vector<std::size_t> duplicates;
    const Collection target = collection(client, collection_name);
    for (std::size_t start = 0; start < documents.size(); start += kInsertsPerCommand) {
      if (before_command) before_command();
      const std::size_t count = std::min(documents.size() - start, kInsertsPerCommand);
      BsonDocument options;
      options.append_bool("ordered", false);
      BsonDocument reply;
      bson_error_t error;
      // libmongoc takes the documents as a non-const array of const pointers.
      auto* first = const_cast<const bson_t**>(documents.data() + start);
      if (mongoc_collection_insert_many(target.get(), first, count, options.get(), reply.get(),
                                        &error)) {
        continue;
      }
      const auto taken = duplicate_key_indexes(reply.get());
      if (!taken) unavailable(action, error);
      for (const std::size_t index : *taken) duplicates.push_back(start + index);
    }
    return duplicates;
  }

  // Inserts the records (the commit points); true where this insert created it,
  // false where the revision was taken already.
  std::vector<bool> insert_records(const PooledClient& client,
                                   const std::vector<Commit>& commits) const {
    std::vector<const bson_t*> documents;
    documents.reserve(commits.size());
    for (const Commit& commit : commits) documents.push_back(commit.record.get());
    std::vector<bool> won(commits.size(), true);
    for (const std::size_t index : insert_all(client, kCommits, documents, "commit")) {
      won[index] = false;
    }
    return won;
  }

  // The stored revision of each user (0 when absent).
  std::unordered_map<std::string, std::uint64_t> stored_revisions(
      const PooledClient& client, const std::vector<Commit>& commits) const {
    ArrayBuilder ids;
    for (const Commit& commit : commits) ids.add(commit.user_id);
    BsonDocument in;
    in.append_array("$in", ids.elements());
    BsonDocument filter;
    filter.append_document(field::kId, in);
    BsonDocument projection;
    projection.append(field::kRevision, std::int64_t{1});
    BsonDocument options;
    options.append_document("projection", projection);
    std::unordered_map<std::string, std::uint64_t> revisions;
    find(client, kUsers, filter, options, "read revisions", [&](const bson_t* document) {
      const BsonReader reader(document, "users");
      revisions[reader.text(field::kId)] =
          static_cast<std::uint64_t>(reader.integer(field::kRevision));
    });
    return revisions;
  }

  // Commits one wave: write sets of distinct users.
  //   1. each commit's further parts (rare: only above kPartBytes);
  //   2. the records, inserted: the unique _id (user, revision) lets exactly one
  //      commit take a revision (an insert is atomic on every server, where an
  //      update's filter is not on FerretDB);
  //   3. a won record whose user has moved past the expected revision meanwhile
  //      (that revision's record was applied and dropped) is withdrawn: a conflict;
  //   4. apply.
  void commit_wave(const PooledClient& client, std::span<WriteSet> batch,
                   const std::vector<std::size_t>& wave, std::vector<CommitStatus>& statuses) {
    const Millis now = now_millis();
    std::vector<Commit> commits;
    commits.reserve(wave.size());
    std::vector<std::uint64_t> first_sequences;
    for (const std::size_t index : wave) {
      const WriteSet& writes = batch[index];
      const std::uint64_t first =
          writes.outbox.empty() || writes.delete_user ? 0 : reserve_sequences(writes.outbox.size());
      first_sequences.push_back(first);
      commits.push_back(build_commit(writes, first, now));
    }
    {
      const Collection parts = collection(client, kIntents);
      BulkWriter writer(parts.get(), inserts("store a commit's parts"));
      for (const Commit& commit : commits) {
        for (const BsonDocument& part : commit.extra_parts) writer.insert(part.get());
      }
      writer.flush();
    }
    const std::vector<bool> won = insert_records(client, commits);
    const auto revisions = stored_revisions(client, commits);
    std::vector<const Commit*> committed;
    ArrayBuilder withdrawn;
    ArrayBuilder unused_parts;
    for (std::size_t i = 0; i < commits.size(); ++i) {
      const Commit& commit = commits[i];
      const auto stored = revisions.find(commit.user_id);
      const std::uint64_t revision = stored == revisions.end() ? 0 : stored->second;
      const bool holds = won[i] && revision == commit.expected_revision;
      if (won[i] && !holds) withdrawn.add(record_id(commit.user_id, commit.expected_revision + 1));
      if (!holds && !commit.extra_parts.empty()) unused_parts.add(commit.write_id);
      statuses[wave[i]] = holds ? CommitStatus::committed : CommitStatus::conflict;
      if (holds) committed.push_back(&commit);
    }
    remove_in(client, kCommits, field::kId, withdrawn, "withdraw a stale commit");
    remove_in(client, kIntents, field::kWriteId, unused_parts, "drop refused commit parts");

    // From here on each won write set is committed, whatever happens.
    const auto abandon_all = [&] {
      for (const Commit* commit : committed) {
        abandon(record_id(commit->user_id, commit->expected_revision + 1));
      }
    };
    try {
      apply(client, committed, keep_fresh(client, committed));
    } catch (const AbandonedWrite&) {
      abandon_all();
    } catch (const StoreUnavailable&) {
      abandon_all();
      throw;
    }
    for (std::size_t i = 0; i < wave.size(); ++i) {
      if (statuses[wave[i]] != CommitStatus::committed || batch[wave[i]].delete_user) continue;
      std::uint64_t next = first_sequences[i];
      for (OutboxEntry& entry : batch[wave[i]].outbox) entry.sequence = next++;
    }
  }
};

MongoDbStore::MongoDbStore(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}

MongoDbStore::~MongoDbStore() = default;

std::unique_ptr<MongoDbStore> MongoDbStore::open(const MongoDbConfig& config) {
  init_driver_once();
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  impl->update_budget = std::make_unique<StatementBudget>(config.bulk_statements);
  impl->origin = config.instance_id.empty() ? host_name() : config.instance_id;

  bson_error_t error;
  mongoc_uri_t* uri = mongoc_uri_new_with_error(config.uri.c_str(), &error);
  if (uri == nullptr) {
    throw std::invalid_argument("sync.adapters.mongodb.uri: " + std::string(error.message));
  }
  const auto to_int32 = [](auto duration) {
    return static_cast<std::int32_t>(std::min<std::int64_t>(
        std::chrono::milliseconds(duration).count(), std::numeric_limits<std::int32_t>::max()));
  };
  mongoc_uri_set_option_as_int32(uri, MONGOC_URI_MAXPOOLSIZE,
                                 static_cast<std::int32_t>(config.pool_size));
  mongoc_uri_set_option_as_int32(uri, MONGOC_URI_CONNECTTIMEOUTMS,
                                 to_int32(config.connect_timeout));
  // A database that is down fails an operation after this, instead of hanging.
  mongoc_uri_set_option_as_int32(uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS,
                                 to_int32(config.connect_timeout));
  mongoc_uri_set_option_as_int32(uri, MONGOC_URI_SOCKETTIMEOUTMS, to_int32(config.timeout));
  mongoc_uri_set_appname(uri, "primesync");
  mongoc_write_concern_t* write_concern = mongoc_write_concern_new();
  if (config.write_concern == "majority") {
    mongoc_write_concern_set_wmajority(write_concern, to_int32(config.timeout));
  } else {
    mongoc_write_concern_set_w(write_concern, std::stoi(config.write_concern));
    mongoc_write_concern_set_wtimeout_int64(write_concern, to_int32(config.timeout));
  }
  mongoc_write_concern_set_journal(write_concern, config.journal);
  mongoc_uri_set_write_concern(uri, write_concern);
  mongoc_write_concern_destroy(write_concern);

  impl->pool = mongoc_client_pool_new_with_error(uri, &error);
  mongoc_uri_destroy(uri);
  if (impl->pool == nullptr) {
    throw std::invalid_argument("sync.adapters.mongodb.uri: " + std::string(error.message));
  }
  mongoc_client_pool_set_error_api(impl->pool, MONGOC_ERROR_API_VERSION_2);

  impl->create_indexes();
  impl->recover_last_sequence();
  impl->healthy.store(true);
  Impl* raw = impl.get();
  impl->monitor = std::thread([raw] { raw->run_monitor(); });
  return std::unique_ptr<MongoDbStore>(new MongoDbStore(std::move(impl)));
}

UserState MongoDbStore::load_user(std::string_view user_id) {
  Impl& store = *impl_;
  store.counters.users_loaded.fetch_add(1, std::memory_order_relaxed);
  return store.guarded([&] {
    const PooledClient client(store.pool);
    // Under a stream of commits to this user, keep reading (each round sees
    // progress) until the operation timeout, then give up with 50300.
    const auto deadline = std::chrono::steady_clock::now() + store.config.timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      Impl::Snapshot before = store.snapshot(client, user_id);
      if (before.unapplied) {
        store.complete_unapplied(client, user_id, before);
        continue;
      }
      UserState state;
      state.user.user_id = user_id;
      state.user.revision = before.revision();  // a deleted user's revision stays
      if (!before.user) return state;
      state.items = store.load_items(client, user_id);
      // The items must belong to the revision read first: a commit in between
      // means reading again.
      const Impl::Snapshot after = store.snapshot(client, user_id);
      if (after.unapplied || after.revision() != before.revision()) {
        store.counters.load_retries.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      state.exists = true;
      state.user = std::move(before.user->record);
      state.lock = std::move(before.user->lock);
      state.devices = std::move(before.user->devices);
      return state;
    }
    throw StoreUnavailable("mongodb store: the user's data kept changing while it was read");
  });
}

std::uint64_t MongoDbStore::load_revision(std::string_view user_id) {
  Impl& store = *impl_;
  return store.guarded([&] {
    const PooledClient client(store.pool);
    const Impl::Snapshot snapshot = store.snapshot(client, user_id);
    // A committed but unapplied write already owns the next revision.
    return snapshot.revision() + (snapshot.unapplied ? 1 : 0);
  });
}

std::vector<CommitStatus> MongoDbStore::commit(std::span<WriteSet> batch) {
  Impl& store = *impl_;
  std::vector<CommitStatus> statuses(batch.size(), CommitStatus::committed);
  return store.guarded([&] {
    // Waves: the n-th write set of each user goes into wave n, so one wave never
    // holds two write sets of a user (the second needs the first applied).
    std::vector<std::vector<std::size_t>> waves;
    std::unordered_map<std::string_view, std::size_t> seen;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (batch[i].empty()) continue;
      const std::size_t wave = seen[batch[i].user_id]++;
      if (wave == waves.size()) waves.emplace_back();
      waves[wave].push_back(i);
    }
    const PooledClient client(store.pool);
    std::unordered_set<std::string_view> refused;
    for (std::vector<std::size_t>& wave : waves) {
      std::erase_if(wave, [&](std::size_t index) {
        if (!refused.contains(batch[index].user_id)) return false;
        statuses[index] = CommitStatus::conflict;
        return true;
      });
      if (wave.empty()) continue;
      store.commit_wave(client, batch, wave, statuses);
      for (const std::size_t index : wave) {
        if (statuses[index] == CommitStatus::conflict) refused.insert(batch[index].user_id);
      }
    }
    std::uint64_t committed = 0;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (batch[i].empty()) continue;
      if (statuses[i] == CommitStatus::committed) {
        ++committed;
      } else {
        store.counters.conflicts.fetch_add(1, std::memory_order_relaxed);
      }
    }
    if (committed != 0) store.counters.commits.fetch_add(1, std::memory_order_relaxed);
    store.counters.write_sets.fetch_add(committed, std::memory_order_relaxed);
    return statuses;
  });
}

std::vector<std::string> MongoDbStore::list_users(std::string_view after, std::size_t limit) {
  Impl& store = *impl_;
  std::vector<std::string> users;
  if (limit == 0) return users;
  return store.guarded([&] {
    const PooledClient client(store.pool);
    BsonDocument greater;
    greater.append("$gt", after);
    BsonDocument filter;
    filter.append_document(field::kId, greater)
        .append_document(mongodb::live_user_field(), exists(true));  // not a deleted user's
    BsonDocument sort;
    sort.append(field::kId, std::int64_t{1});
    BsonDocument projection;
    projection.append(field::kId, std::int64_t{1});
    BsonDocument options;
    options.append_document("sort", sort)
        .append_document("projection", projection)
        .append("limit", static_cast<std::int64_t>(limit));
    store.find(client, kUsers, filter, options, "list users", [&](const bson_t* document) {
      users.push_back(BsonReader(document, "users").text(field::kId));
    });
    return users;
  });
}

std::vector<OutboxEntry> MongoDbStore::read_outbox(std::size_t max_entries) {
  Impl& store = *impl_;
  std::vector<OutboxEntry> entries;
  if (max_entries == 0) return entries;
  return store.guarded([&] {
    const PooledClient client(store.pool);
    BsonDocument filter;
    filter.append(field::kOrigin, store.origin);
    BsonDocument sort;
    sort.append(field::kSequence, std::int64_t{1});
    BsonDocument options;
    options.append_document("sort", sort).append("limit", static_cast<std::int64_t>(max_entries));
    store.find(client, kOutbox, filter, options, "read the outbox", [&](const bson_t* document) {
      entries.push_back(mongodb::decode_outbox(document));
    });
    return entries;
  });
}

void MongoDbStore::remove_outbox(std::span<const std::uint64_t> sequences) {
  Impl& store = *impl_;
  if (sequences.empty()) return;
  store.guarded([&] {
    const PooledClient client(store.pool);
    for (std::size_t start = 0; start < sequences.size(); start += kKeysPerStatement) {
      ArrayBuilder ids;
      const std::size_t end = std::min(sequences.size(), start + kKeysPerStatement);
      for (std::size_t i = start; i < end; ++i) {
        ids.add(mongodb::outbox_id(store.origin, sequences[i]));
      }
      store.remove_in(client, kOutbox, field::kId, ids, "remove delivered notifications");
    }
  });
}

std::size_t MongoDbStore::prune_history(Millis older_than) {
  Impl& store = *impl_;
  return store.guarded([&] {
    const PooledClient client(store.pool);
    const Collection history = store.collection(client, kHistory);
    BsonDocument before;
    before.append("$lt", older_than);
    BsonDocument filter;
    filter.append_document(field::kArchivedAt, before);
    BsonDocument reply;
    bson_error_t error;
    if (!mongoc_collection_delete_many(history.get(), filter.get(), nullptr, reply.get(), &error)) {
      unavailable("prune history", error);
    }
    return static_cast<std::size_t>(
        BsonReader(reply.get(), "delete reply").integer("deletedCount"));
  });
}

bool MongoDbStore::ready() {
  return impl_->healthy.load();
}

bool MongoDbStore::shared() const {
  return impl_->config.revalidate_reads;
}

const std::string& MongoDbStore::instance_id() const noexcept {
  return impl_->origin;
}

MongoDbStore::Stats MongoDbStore::stats() const noexcept {
  const Impl::Counters& counters = impl_->counters;
  const auto load = [](const std::atomic<std::uint64_t>& counter) {
    return counter.load(std::memory_order_relaxed);
  };
  return Stats{load(counters.commits),       load(counters.write_sets),   load(counters.conflicts),
               load(counters.roll_forwards), load(counters.load_retries), load(counters.failures),
               load(counters.users_loaded)};
}

}  // namespace primesync
