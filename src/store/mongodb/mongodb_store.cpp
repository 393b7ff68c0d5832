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

#include "primesync/error.hpp"
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
constexpr const char* kCounters = "counters";
constexpr std::string_view kOutboxCounter = "outbox";

constexpr int kDuplicateKey = 11000;
// An intent document stays far below MongoDB's 16 MiB document limit.
constexpr std::size_t kIntentChunkBytes = std::size_t{4} << 20U;
// Keys in one delete statement's $in, and documents in one insert command.
constexpr std::size_t kKeysPerStatement = 1000;
constexpr std::size_t kInsertsPerCommand = 1000;
// Loads repeated when a commit changed the user while it was read.
constexpr int kLoadAttempts = 8;
constexpr std::chrono::milliseconds kHealthInterval{1000};
constexpr std::chrono::milliseconds kPendingPollFirst{1};
constexpr std::chrono::milliseconds kPendingPollLongest{50};
constexpr std::size_t kWriteIdBytes = 16;
constexpr std::size_t kHostNameBytes = 256;

void init_driver_once() {
  static std::once_flag once;
  std::call_once(once, [] { mongoc_init(); });
}

[[noreturn]] void unavailable(std::string_view action, const bson_error_t& error) {
  throw StoreUnavailable("mongodb store: cannot " + std::string(action) + ": " +
                         mongodb::describe(error));
}

Millis now_millis() {
  return wall_clock_now();
}

// Thrown inside a commit when applying an intent took so long that another
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

// True when every error of a bulk reply is a duplicate key (an insert that an
// earlier attempt, or another instance completing the same intent, already did).
bool only_duplicate_keys(const bson_t* reply) {
  bson_iter_t iter;
  if (bson_iter_init_find(&iter, reply, "writeConcernErrors") && BSON_ITER_HOLDS_ARRAY(&iter)) {
    bson_iter_t child;
    if (bson_iter_recurse(&iter, &child) && bson_iter_next(&child)) return false;
  }
  if (!bson_iter_init_find(&iter, reply, "writeErrors") || !BSON_ITER_HOLDS_ARRAY(&iter)) {
    return false;
  }
  bson_iter_t error;
  if (!bson_iter_recurse(&iter, &error)) return false;
  bool any = false;
  while (bson_iter_next(&error)) {
    bson_iter_t code;
    if (!BSON_ITER_HOLDS_DOCUMENT(&error) || !bson_iter_recurse(&error, &code) ||
        !bson_iter_find(&code, "code") || bson_iter_as_int64(&code) != kDuplicateKey) {
      return false;
    }
    any = true;
  }
  return any;
}

// Statements sent as bulk write commands of at most `max_statements` each (FerretDB
// wedges on large update commands). Before each command `keep_going` may stop it.
class BulkWriter {
 public:
  struct Options {
    std::size_t max_statements = 0;
    bool ordered = true;
    bool duplicates_are_done = false;  // idempotent inserts
    std::string action;
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
  void update_one(const bson_t* filter, const bson_t* update) {
    add([&](mongoc_bulk_operation_t* bulk, bson_error_t* error) {
      return mongoc_bulk_operation_update_one_with_opts(bulk, filter, update, nullptr, error);
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
    const bool ok = mongoc_bulk_operation_execute(bulk_, reply.get(), &error) != 0;
    mongoc_bulk_operation_destroy(bulk_);
    bulk_ = nullptr;
    count_ = 0;
    if (ok || (options_.duplicates_are_done && only_duplicate_keys(reply.get()))) return;
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

// A commit's writes outside the user document, as the chunks stored in sync_intents.
struct Intent {
  std::string write_id;
  std::string user_id;
  std::vector<BsonDocument> chunks;
};

// Splits a write set's outside writes into intent chunks of bounded size.
class IntentBuilder {
 public:
  IntentBuilder(std::string write_id, std::string user_id, Millis now)
      : write_id_(std::move(write_id)), user_id_(std::move(user_id)), now_(now) {}

  void delete_key(std::string_view key) {
    if (deletes_.count() >= kKeysPerStatement) seal();
    deletes_.add(key);
    grow(key.size());
  }
  void add(ArrayBuilder IntentBuilder::*part, const BsonDocument& document) {
    (this->*part).add(document);
    grow(document.size());
  }

  [[nodiscard]] Intent finish() {
    seal();
    return Intent{write_id_, user_id_, std::move(chunks_)};
  }

  ArrayBuilder items_;
  ArrayBuilder history_;
  ArrayBuilder outbox_;

 private:
  void grow(std::size_t bytes) {
    bytes_ += bytes;
    if (bytes_ >= kIntentChunkBytes) seal();
  }

  void seal() {
    if (deletes_.count() + items_.count() + history_.count() + outbox_.count() == 0) return;
    BsonDocument chunk;
    chunk.append(field::kId, write_id_ + ":" + std::to_string(chunks_.size()))
        .append(field::kWriteId, write_id_)
        .append(field::kUserId, user_id_)
        .append(field::kCreatedAt, now_)
        .append_array(field::kDeletes, deletes_.elements())
        .append_array(field::kItems, items_.elements())
        .append_array(field::kHistory, history_.elements())
        .append_array(field::kOutbox, outbox_.elements());
    chunks_.push_back(std::move(chunk));
    deletes_ = ArrayBuilder();
    items_ = ArrayBuilder();
    history_ = ArrayBuilder();
    outbox_ = ArrayBuilder();
    bytes_ = 0;
  }

  std::string write_id_;
  std::string user_id_;
  Millis now_;
  ArrayBuilder deletes_;
  std::size_t bytes_ = 0;
  std::vector<BsonDocument> chunks_;
};

bool needs_intent(const WriteSet& writes) {
  return !writes.put_items.empty() || !writes.delete_items.empty() || !writes.history.empty() ||
         !writes.outbox.empty();
}

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

  // Writes of this process whose intent it stopped applying (a failure or the
  // deadline): the next load completes them at once instead of waiting.
  std::mutex abandoned_mutex;
  std::unordered_set<std::string> abandoned;

  std::mutex random_mutex;
  std::mt19937_64 random{std::random_device{}()};

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

  [[nodiscard]] BulkWriter::Options bulk(std::string action, bool ordered = true) const {
    return BulkWriter::Options{config.bulk_statements, ordered, false, std::move(action)};
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
    static constexpr std::array<char, 16> kHex = {'0', '1', '2', '3', '4', '5', '6', '7',
                                                  '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};
    std::string id;
    std::lock_guard lock(random_mutex);
    for (std::size_t i = 0; i < kWriteIdBytes; ++i) {
      const auto byte = static_cast<unsigned>(random() & 0xFFU);
      id.push_back(kHex[byte >> 4U]);
      id.push_back(kHex[byte & 0xFU]);
    }
    return id;
  }

  void abandon(const std::string& write_id) {
    std::lock_guard lock(abandoned_mutex);
    abandoned.insert(write_id);
  }

  bool forget_abandoned(const std::string& write_id) {
    std::lock_guard lock(abandoned_mutex);
    return abandoned.erase(write_id) != 0;
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
                    const BsonDocument& keys, bool unique) {
    BsonDocument index;
    index.append_document("key", keys).append("name", name);
    if (unique) index.append_bool("unique", true);
    ArrayBuilder indexes;
    indexes.add(index);
    BsonDocument command;
    command.append("createIndexes", collection_name).append_array("indexes", indexes.elements());
    BsonDocument reply;
    bson_error_t error;
    if (!mongoc_client_command_simple(client.get(), config.database.c_str(), command.get(),
                                      nullptr, reply.get(), &error)) {
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
    create_index(client, kItems, "userId_key", keys({field::kUserId, field::kKey}), true);
    create_index(client, kHistory, "userId_nonce", keys({field::kUserId, "nonce"}), false);
    create_index(client, kHistory, "archivedAt", keys({field::kArchivedAt}), false);
    create_index(client, kOutbox, "origin_id", keys({field::kOrigin, field::kId}), false);
    create_index(client, kIntents, "writeId", keys({field::kWriteId}), false);
    create_index(client, kIntents, "createdAt", keys({field::kCreatedAt}), false);
  }

  // ---------------------------------------------------------------- reading

  [[nodiscard]] std::optional<StoredUser> find_user(const PooledClient& client,
                                                    std::string_view user_id) const {
    const Collection users = collection(client, kUsers);
    const BsonDocument filter = filter_by_id(user_id);
    BsonDocument options;
    options.append("limit", std::int64_t{1});
    mongoc_cursor_t* cursor =
        mongoc_collection_find_with_opts(users.get(), filter.get(), options.get(), nullptr);
    const bson_t* document = nullptr;
    std::optional<StoredUser> stored;
    if (mongoc_cursor_next(cursor, &document)) stored = mongodb::decode_user(document);
    bson_error_t error;
    const bool failed = mongoc_cursor_error(cursor, &error);
    mongoc_cursor_destroy(cursor);
    if (failed) unavailable("read the user", error);
    return stored;
  }

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
    // The index wants key order (bytewise), which the server's collation need not give.
    std::sort(items.begin(), items.end(),
              [](const ItemPtr& a, const ItemPtr& b) { return a->key < b->key; });
    ItemIndex index;
    for (ItemPtr& item : items) index.put(std::move(item));
    return index;
  }

  // ---------------------------------------------------------------- applying intents

  // Applies intents (their chunks, in order), then clears each user's `pending`
  // and deletes the intents. Every step is idempotent, so a crash at any point is
  // completed by doing it all again. `before_command` may stop it (AbandonedWrite).
  void apply_intents(const PooledClient& client, const std::vector<const Intent*>& intents,
                     const std::function<void()>& before_command) const {
    if (intents.empty()) return;
    const Collection items = collection(client, kItems);
    {
      // Deletes before puts, as apply_write_set does; ordered, so in that order.
      BulkWriter writer(items.get(), bulk("apply item writes"), before_command);
      for (const Intent* intent : intents) {
        for (const BsonDocument& chunk : intent->chunks) {
          const BsonReader reader(chunk.get(), "sync_intents");
          const auto deletes = reader.child(field::kDeletes);
          if (!deletes || bson_count_keys(deletes->get()) == 0) continue;
          BsonDocument in;
          in.append_array("$in", *deletes);
          BsonDocument filter;
          filter.append(field::kUserId, intent->user_id).append_document(field::kKey, in);
          writer.remove_many(filter.get());
        }
      }
      for (const Intent* intent : intents) {
        for (const BsonDocument& chunk : intent->chunks) {
          const BsonReader reader(chunk.get(), "sync_intents");
          const auto puts = reader.child(field::kItems);
          if (!puts) continue;
          mongodb::for_each_document(reader, puts->get(), [&](const bson_t* item) {
            const BsonReader fields(item, "sync_intents.items");
            BsonDocument filter;
            filter.append(field::kUserId, intent->user_id).append(field::kKey,
                                                                   fields.text(field::kKey));
            writer.replace_upsert(filter.get(), item);
          });
        }
      }
      writer.flush();
    }
    const auto insert_part = [&](const char* collection_name, const char* part,
                                 const char* action) {
      const Collection target = collection(client, collection_name);
      BulkWriter writer(target.get(), inserts(action), before_command);
      for (const Intent* intent : intents) {
        for (const BsonDocument& chunk : intent->chunks) {
          const BsonReader reader(chunk.get(), "sync_intents");
          const auto documents = reader.child(part);
          if (!documents) continue;
          mongodb::for_each_document(reader, documents->get(),
                                     [&](const bson_t* document) { writer.insert(document); });
        }
      }
      writer.flush();
    };
    insert_part(kHistory, field::kHistory, "archive history");
    insert_part(kOutbox, field::kOutbox, "queue notifications");

    const Collection users = collection(client, kUsers);
    BulkWriter clear(users.get(), bulk("finish a write", false), before_command);
    ArrayBuilder write_ids;
    for (const Intent* intent : intents) {
      BsonDocument filter = filter_by_id(intent->user_id);
      filter.append(field::kPendingId, intent->write_id);
      BsonDocument unset;
      unset.append(field::kPending, "");
      BsonDocument update;
      update.append_document("$unset", unset);
      clear.update_one(filter.get(), update.get());
      write_ids.add(intent->write_id);
    }
    clear.flush();
    delete_intents(client, write_ids);
  }

  void delete_intents(const PooledClient& client, const ArrayBuilder& write_ids) const {
    if (write_ids.count() == 0) return;
    const Collection intents = collection(client, kIntents);
    BsonDocument in;
    in.append_array("$in", write_ids.elements());
    BsonDocument filter;
    filter.append_document(field::kWriteId, in);
    BsonDocument reply;
    bson_error_t error;
    if (!mongoc_collection_delete_many(intents.get(), filter.get(), nullptr, reply.get(),
                                       &error)) {
      unavailable("delete applied intents", error);
    }
  }

  // A deadline for applying an intent: past half the intent timeout another
  // instance may start completing it, so this one must stop writing it.
  [[nodiscard]] std::function<void()> apply_deadline() const {
    const auto deadline = std::chrono::steady_clock::now() + config.intent_timeout / 2;
    return [deadline] {
      if (std::chrono::steady_clock::now() > deadline) throw AbandonedWrite{};
    };
  }

  // The user document names an unapplied write: wait for its writer to finish it,
  // or complete it (at once for this process's abandoned writes; after the intent
  // timeout for another instance's). Returns when `pending` has changed.
  void complete_pending(const PooledClient& client, const StoredUser& stored) {
    const std::string& write_id = *stored.pending_write;
    const std::string& user_id = stored.record.user_id;
    if (!forget_abandoned(write_id)) {
      auto poll = kPendingPollFirst;
      for (;;) {
        const Millis waited = now_millis() - stored.pending_since;
        if (waited >= std::chrono::milliseconds(config.intent_timeout).count()) break;
        std::this_thread::sleep_for(poll);
        poll = std::min(poll * 2, kPendingPollLongest);
        const std::optional<StoredUser> again = find_user(client, user_id);
        if (!again || again->pending_write != stored.pending_write) return;
      }
    }
    Intent intent{write_id, user_id, {}};
    BsonDocument filter;
    filter.append(field::kWriteId, write_id);
    BsonDocument sort;
    sort.append(field::kId, std::int64_t{1});
    BsonDocument options;
    options.append_document("sort", sort);
    find(client, kIntents, filter, options, "read an unfinished write",
         [&](const bson_t* chunk) { intent.chunks.push_back(BsonDocument::adopt(bson_copy(chunk))); });
    try {
      apply_intents(client, {&intent}, apply_deadline());
    } catch (const AbandonedWrite&) {
      throw StoreUnavailable("mongodb store: completing an unfinished write took too long");
    }
    counters.roll_forwards.fetch_add(1, std::memory_order_relaxed);
  }

  // ---------------------------------------------------------------- committing

  // Reserves `count` outbox sequences; returns the first.
  std::uint64_t reserve_sequences(const PooledClient& client, std::size_t count) const {
    const Collection counters_collection = collection(client, kCounters);
    const BsonDocument filter = filter_by_id(kOutboxCounter);
    BsonDocument increment;
    increment.append(field::kNext, static_cast<std::int64_t>(count));
    BsonDocument update;
    update.append_document("$inc", increment);
    mongoc_find_and_modify_opts_t* options = mongoc_find_and_modify_opts_new();
    mongoc_find_and_modify_opts_set_update(options, update.get());
    mongoc_find_and_modify_opts_set_flags(
        options, static_cast<mongoc_find_and_modify_flags_t>(MONGOC_FIND_AND_MODIFY_UPSERT |
                                                             MONGOC_FIND_AND_MODIFY_RETURN_NEW));
    BsonDocument reply;
    bson_error_t error;
    const bool ok = mongoc_collection_find_and_modify_with_opts(
        counters_collection.get(), filter.get(), options, reply.get(), &error);
    mongoc_find_and_modify_opts_destroy(options);
    if (!ok) unavailable("reserve outbox sequences", error);
    const BsonReader reader(reply.get(), "counters reply");
    const auto value = reader.child("value");
    if (!value) reader.fail("value", "missing");
    const auto last = static_cast<std::uint64_t>(BsonReader(value->get(), "counters").integer(field::kNext));
    return last - count + 1;
  }

  Intent build_intent(const WriteSet& writes, std::uint64_t first_sequence, Millis now) {
    IntentBuilder builder(new_write_id(), writes.user_id, now);
    for (const std::string& key : writes.delete_items) builder.delete_key(key);
    for (const ItemPtr& item : writes.put_items) {
      if (!item) throw std::invalid_argument("mongodb store: null item in a write set");
      builder.add(&IntentBuilder::items_, mongodb::encode_item(writes.user_id, *item));
    }
    const std::string history_prefix = builder_id_prefix(writes);
    for (std::size_t i = 0; i < writes.history.size(); ++i) {
      builder.add(&IntentBuilder::history_,
                  mongodb::encode_history(history_prefix + std::to_string(i), writes.user_id,
                                          writes.history[i]));
    }
    std::uint64_t sequence = first_sequence;
    for (const OutboxEntry& entry : writes.outbox) {
      builder.add(&IntentBuilder::outbox_, mongodb::encode_outbox(sequence++, origin, entry));
    }
    return builder.finish();
  }

  // History ids: user, the nonce the commit reached, and the revision (unique per
  // commit), so applying an intent twice inserts nothing new.
  static std::string builder_id_prefix(const WriteSet& writes) {
    return writes.user_id + ":" + std::to_string(writes.expected_revision + 1) + ":";
  }

  // Step 2 of a commit: the compare-and-set of the user document.
  CommitStatus compare_and_set(const PooledClient& client, const WriteSet& writes,
                               const Intent* intent, Millis now) const {
    const Collection users = collection(client, kUsers);
    const std::uint64_t revision = writes.expected_revision + 1;
    UserRecord user = writes.user ? *writes.user : UserRecord{};
    BsonDocument pending;
    if (intent != nullptr) pending.append("id", intent->write_id).append("at", now);

    bson_error_t error;
    BsonDocument reply;
    if (writes.expected_revision == 0) {
      // The user's first commit inserts the document; a duplicate means another
      // instance got there first.
      BsonDocument document = filter_by_id(writes.user_id);
      mongodb::append_user_fields(document, user);
      document.append(field::kRevision, static_cast<std::int64_t>(revision));
      if (writes.put_lock) {
        document.append_document(field::kLock, mongodb::encode_lock(*writes.put_lock));
      }
      BsonDocument devices;
      for (const Device& device : writes.put_devices) {
        devices.append_document(mongodb::device_field(device.instance_id),
                                mongodb::encode_device(device));
      }
      document.append_document(field::kDevices, devices);
      if (intent != nullptr) document.append_document(field::kPending, pending);
      if (mongoc_collection_insert_one(users.get(), document.get(), nullptr, reply.get(),
                                       &error)) {
        return CommitStatus::committed;
      }
      if (error.code == kDuplicateKey) return CommitStatus::conflict;
      unavailable("create the user", error);
    }

    BsonDocument filter = filter_by_id(writes.user_id);
    filter.append(field::kRevision, static_cast<std::int64_t>(writes.expected_revision))
        .append_document(field::kPending, exists(false));
    BsonDocument set;
    mongodb::append_user_fields(set, user);
    set.append(field::kRevision, static_cast<std::int64_t>(revision));
    BsonDocument unset;
    std::size_t unsets = 0;
    if (writes.put_lock) {
      set.append_document(field::kLock, mongodb::encode_lock(*writes.put_lock));
    } else if (writes.delete_lock) {
      unset.append(field::kLock, "");
      ++unsets;
    }
    const std::string devices_prefix = std::string(field::kDevices) + ".";
    for (const std::string& instance_id : writes.delete_devices) {
      const bool put_again = std::any_of(
          writes.put_devices.begin(), writes.put_devices.end(),
          [&](const Device& device) { return device.instance_id == instance_id; });
      if (put_again) continue;  // deletes before puts: the put wins
      unset.append(devices_prefix + mongodb::device_field(instance_id), "");
      ++unsets;
    }
    for (const Device& device : writes.put_devices) {
      set.append_document(devices_prefix + mongodb::device_field(device.instance_id),
                          mongodb::encode_device(device));
    }
    if (intent != nullptr) set.append_document(field::kPending, pending);
    BsonDocument update;
    update.append_document("$set", set);
    if (unsets != 0) update.append_document("$unset", unset);
    if (!mongoc_collection_update_one(users.get(), filter.get(), update.get(), nullptr,
                                      reply.get(), &error)) {
      unavailable("update the user", error);
    }
    const BsonReader result(reply.get(), "update reply");
    return result.integer("matchedCount") == 1 ? CommitStatus::committed : CommitStatus::conflict;
  }

  // Commits one wave: write sets of distinct users.
  void commit_wave(const PooledClient& client, std::span<WriteSet> batch,
                   const std::vector<std::size_t>& wave, std::vector<CommitStatus>& statuses) {
    const Millis now = now_millis();
    std::size_t outbox_entries = 0;
    for (const std::size_t index : wave) outbox_entries += batch[index].outbox.size();
    std::uint64_t sequence = outbox_entries == 0 ? 0 : reserve_sequences(client, outbox_entries);

    // Step 1: the intents, before any commit point names them.
    std::vector<std::optional<Intent>> intents(batch.size());
    std::vector<std::uint64_t> first_sequences(batch.size(), 0);
    {
      const Collection collection_of_intents = collection(client, kIntents);
      BulkWriter writer(collection_of_intents.get(), inserts("store intents"));
      for (const std::size_t index : wave) {
        const WriteSet& writes = batch[index];
        if (!needs_intent(writes)) continue;
        first_sequences[index] = sequence;
        intents[index] = build_intent(writes, sequence, now);
        sequence += writes.outbox.size();
        for (const BsonDocument& chunk : intents[index]->chunks) writer.insert(chunk.get());
      }
      writer.flush();
    }

    // Step 2: the commit points.
    std::vector<const Intent*> committed_intents;
    ArrayBuilder refused_intents;
    for (const std::size_t index : wave) {
      const Intent* intent = intents[index] ? &*intents[index] : nullptr;
      try {
        statuses[index] = compare_and_set(client, batch[index], intent, now);
      } catch (...) {
        for (const Intent* done : committed_intents) abandon(done->write_id);
        throw;
      }
      if (intent == nullptr) continue;
      if (statuses[index] == CommitStatus::committed) {
        committed_intents.push_back(intent);
      } else {
        refused_intents.add(intent->write_id);
      }
    }

    // Step 3: apply. From here on each write set is committed whatever happens.
    try {
      apply_intents(client, committed_intents, apply_deadline());
    } catch (const AbandonedWrite&) {
      for (const Intent* intent : committed_intents) abandon(intent->write_id);
    } catch (const StoreUnavailable&) {
      for (const Intent* intent : committed_intents) abandon(intent->write_id);
      throw;
    }
    delete_intents(client, refused_intents);

    for (const std::size_t index : wave) {
      if (statuses[index] != CommitStatus::committed) continue;
      std::uint64_t next = first_sequences[index];
      for (OutboxEntry& entry : batch[index].outbox) entry.sequence = next++;
    }
  }
};

MongoDbStore::MongoDbStore(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}

MongoDbStore::~MongoDbStore() = default;

std::unique_ptr<MongoDbStore> MongoDbStore::open(const MongoDbConfig& config) {
  init_driver_once();
  auto impl = std::make_unique<Impl>();
  impl->config = config;
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
    for (int attempt = 0; attempt < kLoadAttempts; ++attempt) {
      std::optional<StoredUser> stored = store.find_user(client, user_id);
      UserState state;
      if (!stored) {
        state.user.user_id = user_id;
        return state;
      }
      if (stored->pending_write) {
        store.complete_pending(client, *stored);
        continue;
      }
      state.items = store.load_items(client, user_id);
      // The items must belong to the revision read first: a commit in between
      // means reading again.
      const std::optional<StoredUser> after = store.find_user(client, user_id);
      if (!after || after->pending_write || after->record.revision != stored->record.revision) {
        store.counters.load_retries.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      state.exists = true;
      state.user = std::move(stored->record);
      state.lock = std::move(stored->lock);
      state.devices = std::move(stored->devices);
      return state;
    }
    throw StoreUnavailable("mongodb store: the user's data kept changing while it was read");
  });
}

std::uint64_t MongoDbStore::load_revision(std::string_view user_id) {
  Impl& store = *impl_;
  return store.guarded([&] {
    const PooledClient client(store.pool);
    const std::optional<StoredUser> stored = store.find_user(client, user_id);
    return stored ? stored->record.revision : std::uint64_t{0};
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

std::vector<OutboxEntry> MongoDbStore::read_outbox(std::size_t max_entries) {
  Impl& store = *impl_;
  std::vector<OutboxEntry> entries;
  if (max_entries == 0) return entries;
  return store.guarded([&] {
    const PooledClient client(store.pool);
    BsonDocument filter;
    filter.append(field::kOrigin, store.origin);
    BsonDocument sort;
    sort.append(field::kId, std::int64_t{1});
    BsonDocument options;
    options.append_document("sort", sort).append("limit", static_cast<std::int64_t>(max_entries));
    store.find(client, kOutbox, filter, options, "read the outbox",
               [&](const bson_t* document) { entries.push_back(mongodb::decode_outbox(document)); });
    return entries;
  });
}

void MongoDbStore::remove_outbox(std::span<const std::uint64_t> sequences) {
  Impl& store = *impl_;
  if (sequences.empty()) return;
  store.guarded([&] {
    const PooledClient client(store.pool);
    const Collection outbox = store.collection(client, kOutbox);
    BulkWriter writer(outbox.get(), Impl::inserts("remove delivered notifications"));
    for (std::size_t start = 0; start < sequences.size(); start += kKeysPerStatement) {
      ArrayBuilder ids;
      const std::size_t end = std::min(sequences.size(), start + kKeysPerStatement);
      for (std::size_t i = start; i < end; ++i) ids.add(static_cast<std::int64_t>(sequences[i]));
      BsonDocument in;
      in.append_array("$in", ids.elements());
      BsonDocument filter;
      filter.append_document(field::kId, in);
      writer.remove_many(filter.get());
    }
    writer.flush();
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
    if (!mongoc_collection_delete_many(history.get(), filter.get(), nullptr, reply.get(),
                                       &error)) {
      unavailable("prune history", error);
    }
    return static_cast<std::size_t>(BsonReader(reply.get(), "delete reply").integer("deletedCount"));
  });
}

bool MongoDbStore::ready() {
  return impl_->healthy.load();
}

const std::string& MongoDbStore::instance_id() const noexcept {
  return impl_->origin;
}

MongoDbStore::Stats MongoDbStore::stats() const noexcept {
  const Impl::Counters& counters = impl_->counters;
  const auto load = [](const std::atomic<std::uint64_t>& counter) {
    return counter.load(std::memory_order_relaxed);
  };
  return Stats{load(counters.commits),       load(counters.write_sets),
               load(counters.conflicts),     load(counters.roll_forwards),
               load(counters.load_retries),  load(counters.failures),
               load(counters.users_loaded)};
}

}  // namespace primesync
