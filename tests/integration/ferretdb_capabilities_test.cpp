// Records, as executable facts, what the MongoDB-compatible test server
// (FerretDB v1.24 on SQLite, see docs/testing.md) does and does NOT support of
// what a MongoDB-backed store will want. Every test asserts the server's actual
// answer: "supported" (and the effect is checked) or the specific error code.
// If FerretDB is upgraded and a test here fails, a limitation went away (or a
// new one appeared): update the test and the table in docs/testing.md.
//
// MongoDB error codes used below: 2 BadValue, 9 FailedToParse,
// 14 TypeMismatch, 20 IllegalOperation, 59 CommandNotFound,
// 115 CommandNotSupported, 238 NotImplemented, 40324 unrecognized pipeline stage,
// 17276 "Use of undefined variable", 31254..., 51091... (see each test).
#include "mongo_test_util.hpp"

#include <string>
#include <vector>

namespace primesync_it {
namespace {

// One probe: set up documents, run a command, expect ok or an error code, and
// (when ok) expect `check` to match exactly `check_count` documents.
struct Probe {
  const char* name;
  const char* command;  // run on the test database
  bool supported;       // expected: command succeeds
  uint32_t error_code;  // expected error code when !supported (0 = any)
  const char* check;    // filter that must match check_count docs afterwards ("" = none)
  int64_t check_count;
};

std::ostream& operator<<(std::ostream& os, const Probe& p) {
  return os << p.name;
}

class FerretDbCaps : public MongoTest {
 protected:
  void SetUp() override {
    MongoTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    const Result r = command(R"({"insert": "items", "documents": [
      {"_id": 1, "k": "a", "n": 5, "tags": ["x", "y"], "arr": [1, 5, 9], "sub": {"v": 1}, "grp": "g1"},
      {"_id": 2, "k": "b", "n": 7, "tags": ["y"],      "arr": [2, 3],    "sub": {"v": 2}, "grp": "g1"},
      {"_id": 3, "k": "c", "n": 9, "tags": [],         "arr": [],        "sub": {"v": 3}, "grp": "g2"}
    ]})");
    ASSERT_TRUE(r.ok) << r.message;
    const Result r2 = command(R"({"insert": "other", "documents": [
      {"_id": 10, "k": "a", "extra": "joined"}
    ]})");
    ASSERT_TRUE(r2.ok) << r2.message;
  }

  std::string dump() {
    std::string out;
    mongoc_cursor_t* c =
        mongoc_collection_find_with_opts(coll_, json("{}").get(), nullptr, nullptr);
    const bson_t* doc;
    while (mongoc_cursor_next(c, &doc)) out += "  " + to_json(doc) + "\n";
    mongoc_cursor_destroy(c);
    return out;
  }

  int64_t count(const char* filter) {
    bson_error_t error;
    const int64_t n = mongoc_collection_count_documents(coll_, json(filter).get(), nullptr, nullptr,
                                                        nullptr, &error);
    EXPECT_GE(n, 0) << error.message;
    return n;
  }
};

class FerretDbProbe : public FerretDbCaps, public ::testing::WithParamInterface<Probe> {};

TEST_P(FerretDbProbe, AnswersAsRecorded) {
  const Probe& p = GetParam();
  std::string cmd = p.command;
  for (size_t pos; (pos = cmd.find("DBNAME")) != std::string::npos;) cmd.replace(pos, 6, db_name_);
  const Result r = command(cmd);
  std::fprintf(stderr, "[capability] %-34s -> %s code=%u %s\n", p.name,
               r.ok ? "SUPPORTED" : "ERROR", r.code, r.ok ? "" : r.message.c_str());
  if (p.supported) {
    ASSERT_TRUE(r.ok) << p.name << ": expected support, got code " << r.code << ": " << r.message
                      << "\nreply: " << r.reply;
    if (*p.check != '\0') {
      EXPECT_EQ(count(p.check), p.check_count)
          << p.name << ": effect check " << p.check << "\nreply: " << r.reply << "\ndocuments:\n"
          << dump();
    }
  } else {
    ASSERT_FALSE(r.ok) << p.name << ": expected an error, but it succeeded: " << r.reply;
    if (p.error_code != 0) {
      EXPECT_EQ(r.code, p.error_code) << p.name << ": " << r.message;
    }
  }
}

// clang-format off
const Probe kProbes[] = {
  // ---- update operators
  {"update_max", R"({"update": "items", "updates": [{"q": {"_id": 1}, "u": {"$max": {"n": 50}}}]})", true, 0, R"({"_id": 1, "n": 50})", 1},
  {"update_min", R"({"update": "items", "updates": [{"q": {"_id": 1}, "u": {"$min": {"n": 1}}}]})", true, 0, R"({"_id": 1, "n": 1})", 1},
  {"update_setOnInsert_upsert", R"({"update": "items", "updates": [{"q": {"_id": 99}, "u": {"$set": {"k": "z"}, "$setOnInsert": {"created": 1}}, "upsert": true}]})", true, 0, R"({"_id": 99, "k": "z", "created": 1})", 1},
  {"update_setOnInsert_noop_on_match", R"({"update": "items", "updates": [{"q": {"_id": 1}, "u": {"$set": {"k": "a2"}, "$setOnInsert": {"created": 1}}, "upsert": true}]})", true, 0, R"({"_id": 1, "k": "a2", "created": {"$exists": false}})", 1},
  {"update_inc", R"({"update": "items", "updates": [{"q": {"_id": 1}, "u": {"$inc": {"n": 2}}}]})", true, 0, R"({"_id": 1, "n": 7})", 1},
  {"update_mul", R"({"update": "items", "updates": [{"q": {"_id": 1}, "u": {"$mul": {"n": 3}}}]})", true, 0, R"({"_id": 1, "n": 15})", 1},
  {"update_unset", R"({"update": "items", "updates": [{"q": {"_id": 1}, "u": {"$unset": {"sub": ""}}}]})", true, 0, R"({"_id": 1, "sub": {"$exists": false}})", 1},
  {"update_rename", R"({"update": "items", "updates": [{"q": {"_id": 1}, "u": {"$rename": {"k": "key"}}}]})", true, 0, R"({"_id": 1, "key": "a"})", 1},
  {"update_currentDate", R"({"update": "items", "updates": [{"q": {"_id": 1}, "u": {"$currentDate": {"ts": true}}}]})", true, 0, R"({"_id": 1, "ts": {"$exists": true}})", 1},
  {"update_set_dotted", R"({"update": "items", "updates": [{"q": {"_id": 1}, "u": {"$set": {"sub.w": 2}}}]})", true, 0, R"({"_id": 1, "sub.w": 2, "sub.v": 1})", 1},
  {"update_push_each_IGNORES_slice", R"({"update": "items", "updates": [{"q": {"_id": 1}, "u": {"$push": {"arr": {"$each": [10, 11], "$slice": -3}}}}]})", true, 0, R"({"_id": 1, "arr": [1, 5, 9, 10, 11]})", 1},
  {"update_addToSet_each", R"({"update": "items", "updates": [{"q": {"_id": 1}, "u": {"$addToSet": {"tags": {"$each": ["x", "z"]}}}}]})", true, 0, R"({"_id": 1, "tags": ["x", "y", "z"]})", 1},
  {"update_pull", R"({"update": "items", "updates": [{"q": {"_id": 1}, "u": {"$pull": {"arr": 5}}}]})", true, 0, R"({"_id": 1, "arr": [1, 9]})", 1},
  {"update_pull_condition_IS_NOOP", R"({"update": "items", "updates": [{"q": {"_id": 1}, "u": {"$pull": {"arr": {"$gte": 5}}}}]})", true, 0, R"({"_id": 1, "arr": [1, 5, 9]})", 1},
  {"update_pullAll", R"({"update": "items", "updates": [{"q": {"_id": 1}, "u": {"$pullAll": {"arr": [1, 9]}}}]})", true, 0, R"({"_id": 1, "arr": [5]})", 1},
  {"update_pop", R"({"update": "items", "updates": [{"q": {"_id": 1}, "u": {"$pop": {"arr": 1}}}]})", true, 0, R"({"_id": 1, "arr": [1, 5]})", 1},
  {"update_bit", R"({"update": "items", "updates": [{"q": {"_id": 1}, "u": {"$bit": {"n": {"or": 2}}}}]})", true, 0, R"({"_id": 1, "n": 7})", 1},
  {"update_positional_dollar", R"({"update": "items", "updates": [{"q": {"_id": 1, "arr": 5}, "u": {"$set": {"arr.$": 50}}}]})", false, 28, R"({"_id": 1, "arr": [1, 50, 9]})", 1},
  {"update_all_positional", R"({"update": "items", "updates": [{"q": {"_id": 1}, "u": {"$inc": {"arr.$[]": 1}}}]})", false, 28, R"({"_id": 1, "arr": [2, 6, 10]})", 1},
  {"update_arrayFilters", R"({"update": "items", "updates": [{"q": {"_id": 1}, "u": {"$set": {"arr.$[e]": 0}}, "arrayFilters": [{"e": {"$gte": 5}}]}]})", false, 238, R"({"_id": 1, "arr": [1, 0, 0]})", 1},
  {"update_pipeline", R"({"update": "items", "updates": [{"q": {"_id": 1}, "u": [{"$set": {"n2": {"$add": ["$n", 1]}}}]}]})", false, 14, R"({"_id": 1, "n2": 6})", 1},
  {"update_multi", R"({"update": "items", "updates": [{"q": {"grp": "g1"}, "u": {"$set": {"m": 1}}, "multi": true}]})", true, 0, R"({"m": 1})", 2},
  {"update_replacement_upsert", R"({"update": "items", "updates": [{"q": {"_id": 98}, "u": {"k": "r"}, "upsert": true}]})", true, 0, R"({"_id": 98, "k": "r"})", 1},
  {"findAndModify_upsert_new", R"({"findAndModify": "items", "query": {"_id": 97}, "update": {"$inc": {"seq": 1}}, "upsert": true, "new": true})", true, 0, R"({"_id": 97, "seq": 1})", 1},
  {"findAndModify_sort_remove", R"({"findAndModify": "items", "query": {"grp": "g1"}, "sort": {"n": -1}, "remove": true})", true, 0, R"({"_id": 2})", 0},
  {"write_concern_majority", R"({"insert": "items", "documents": [{"_id": 50}], "writeConcern": {"w": "majority", "j": true}})", true, 0, R"({"_id": 50})", 1},
  {"decimal128_insert_DROPS_CONNECTION", R"({"insert": "items", "documents": [{"_id": 51, "d": {"$numberDecimal": "1.5"}}]})", false, 4, R"({"_id": 51})", 1},
  // ---- find filters / options
  {"find_expr", R"({"find": "items", "filter": {"$expr": {"$gt": ["$n", 6]}}})", false, 238, "", 0},
  {"find_elemMatch", R"({"find": "items", "filter": {"arr": {"$elemMatch": {"$gt": 4, "$lt": 6}}}})", true, 0, "", 0},
  {"find_regex", R"({"find": "items", "filter": {"k": {"$regex": "^[ab]$"}}})", true, 0, "", 0},
  {"find_in_exists_type_size_all", R"({"find": "items", "filter": {"k": {"$in": ["a", "c"]}, "sub": {"$exists": true}, "n": {"$type": "int"}, "tags": {"$all": ["x"]}, "arr": {"$size": 3}}})", true, 0, "", 0},
  {"find_nor_not_mod", R"({"find": "items", "filter": {"$nor": [{"k": "a"}], "n": {"$not": {"$gt": 8}, "$mod": [7, 0]}}})", true, 0, "", 0},
  {"find_where", R"({"find": "items", "filter": {"$where": "this.n > 1"}})", false, 2, "", 0},
  {"find_text", R"({"find": "items", "filter": {"$text": {"$search": "a"}}})", false, 2, "", 0},
  {"find_jsonSchema", R"({"find": "items", "filter": {"$jsonSchema": {"required": ["k"]}}})", false, 2, "", 0},
  {"find_collation", R"({"find": "items", "filter": {"k": "A"}, "collation": {"locale": "en", "strength": 2}})", false, 238, "", 0},
  {"find_hint", R"({"find": "items", "filter": {"k": "a"}, "hint": {"_id": 1}})", true, 0, "", 0},
  {"find_projection_slice", R"({"find": "items", "filter": {}, "projection": {"arr": {"$slice": 1}}})", false, 238, "", 0},
  {"find_projection_elemMatch", R"({"find": "items", "filter": {}, "projection": {"arr": {"$elemMatch": {"$gt": 1}}}})", false, 238, "", 0},
  {"find_sort_dotted", R"({"find": "items", "filter": {}, "sort": {"sub.v": -1}})", true, 0, "", 0},
  {"count_cmd", R"({"count": "items", "query": {"grp": "g1"}})", true, 0, "", 0},
  {"distinct_cmd", R"({"distinct": "items", "key": "grp", "query": {}})", true, 0, "", 0},
  // ---- aggregation
  {"agg_match_group_sort", R"({"aggregate": "items", "pipeline": [{"$match": {"n": {"$gt": 0}}}, {"$group": {"_id": "$grp", "total": {"$sum": "$n"}, "c": {"$count": {}}}}, {"$sort": {"_id": 1}}], "cursor": {}})", true, 0, "", 0},
  {"agg_group_max_accumulator", R"({"aggregate": "items", "pipeline": [{"$group": {"_id": "$grp", "mx": {"$max": "$n"}}}], "cursor": {}})", false, 238, "", 0},
  {"agg_unwind_project_addFields", R"({"aggregate": "items", "pipeline": [{"$unwind": "$tags"}, {"$project": {"tags": 1, "n": 1}}, {"$addFields": {"x": 1}}], "cursor": {}})", true, 0, "", 0},
  {"agg_lookup", R"({"aggregate": "items", "pipeline": [{"$lookup": {"from": "other", "localField": "k", "foreignField": "k", "as": "j"}}], "cursor": {}})", false, 238, "", 0},
  {"agg_facet", R"({"aggregate": "items", "pipeline": [{"$facet": {"a": [{"$count": "c"}]}}], "cursor": {}})", false, 238, "", 0},
  {"agg_replaceRoot", R"({"aggregate": "items", "pipeline": [{"$replaceRoot": {"newRoot": "$sub"}}], "cursor": {}})", false, 238, "", 0},
  {"agg_count_skip_limit", R"({"aggregate": "items", "pipeline": [{"$skip": 1}, {"$limit": 1}, {"$count": "c"}], "cursor": {}})", true, 0, "", 0},
  {"agg_sortByCount", R"({"aggregate": "items", "pipeline": [{"$sortByCount": "$grp"}], "cursor": {}})", false, 238, "", 0},
  {"agg_bucket", R"({"aggregate": "items", "pipeline": [{"$bucket": {"groupBy": "$n", "boundaries": [0, 6, 100]}}], "cursor": {}})", false, 238, "", 0},
  {"agg_unionWith", R"({"aggregate": "items", "pipeline": [{"$unionWith": "other"}], "cursor": {}})", false, 238, "", 0},
  {"agg_out", R"({"aggregate": "items", "pipeline": [{"$out": "copy"}], "cursor": {}})", false, 238, "", 0},
  {"agg_merge", R"({"aggregate": "items", "pipeline": [{"$merge": {"into": "copy"}}], "cursor": {}})", false, 238, "", 0},
  {"agg_changeStream", R"({"aggregate": "items", "pipeline": [{"$changeStream": {}}], "cursor": {}})", false, 238, "", 0},
  {"agg_expr_in_match", R"({"aggregate": "items", "pipeline": [{"$match": {"$expr": {"$eq": ["$k", "a"]}}}], "cursor": {}})", false, 238, "", 0},
  // ---- indexes
  {"index_unique_compound", R"({"createIndexes": "items", "indexes": [{"key": {"k": 1, "grp": 1}, "name": "u", "unique": true}]})", true, 0, "", 0},
  {"index_descending", R"({"createIndexes": "items", "indexes": [{"key": {"n": -1}, "name": "d"}]})", true, 0, "", 0},
  {"index_partial", R"({"createIndexes": "items", "indexes": [{"key": {"k": 1}, "name": "p", "unique": true, "partialFilterExpression": {"n": {"$gt": 5}}}]})", false, 238, "", 0},
  {"index_sparse", R"({"createIndexes": "items", "indexes": [{"key": {"k": 1}, "name": "s", "sparse": true}]})", true, 0, "", 0},
  {"index_ttl", R"({"createIndexes": "items", "indexes": [{"key": {"ts": 1}, "name": "ttl", "expireAfterSeconds": 60}]})", false, 238, "", 0},
  {"index_text", R"({"createIndexes": "items", "indexes": [{"key": {"k": "text"}, "name": "t"}]})", false, 27, "", 0},
  {"index_hashed", R"({"createIndexes": "items", "indexes": [{"key": {"k": "hashed"}, "name": "h"}]})", false, 27, "", 0},
  {"index_collation", R"({"createIndexes": "items", "indexes": [{"key": {"k": 1}, "name": "c", "collation": {"locale": "en", "strength": 2}}]})", false, 238, "", 0},
  // ---- collections / misc commands
  {"create_capped", R"({"create": "capped", "capped": true, "size": 100000})", true, 0, "", 0},
  {"create_validator", R"({"create": "validated", "validator": {"$jsonSchema": {"required": ["k"]}}})", false, 238, "", 0},
  {"renameCollection", R"({"renameCollection": "DBNAME.items", "to": "DBNAME.items2"})", true, 0, "", 0},
  {"commitTransaction", R"({"commitTransaction": 1})", false, 59, "", 0},
  {"abortTransaction", R"({"abortTransaction": 1})", false, 59, "", 0},
  {"startSession", R"({"startSession": 1})", false, 59, "", 0},
  {"endSessions", R"({"endSessions": []})", false, 59, "", 0},
};
// clang-format on

INSTANTIATE_TEST_SUITE_P(Probes, FerretDbProbe, ::testing::ValuesIn(kProbes),
                         [](const ::testing::TestParamInfo<Probe>& info) {
                           return std::string(info.param.name);
                         });

// The server rejects the transaction fields of the first statement:
// FailedToParse (9) 'insert: unknown field "startTransaction"'.
constexpr uint32_t kTxnInsertErrorDomain =
    MONGOC_ERROR_QUERY;  // libmongoc's domain for server errors
constexpr uint32_t kTxnInsertErrorCode = 9;

// ---- multi-document transactions through the C driver --------------------
// Sessions exist (implicit sessions; the driver's endSessions at shutdown is
// answered "no such command", hence a harmless warning on stderr), and
// mongoc_client_session_start_transaction only sets client-side state, but the
// first operation inside the transaction fails: no transactions at all.
TEST_F(FerretDbCaps, TransactionsAreRefused) {
  bson_error_t error;
  mongoc_client_session_t* session = mongoc_client_start_session(client_, nullptr, &error);
  ASSERT_NE(session, nullptr) << error.message;
  ASSERT_TRUE(mongoc_client_session_start_transaction(session, nullptr, &error)) << error.message;

  bson_t opts = BSON_INITIALIZER;
  ASSERT_TRUE(mongoc_client_session_append(session, &opts, &error)) << error.message;
  bson_t reply;
  const bool inserted =
      mongoc_collection_insert_one(coll_, json(R"({"_id": 1000})").get(), &opts, &reply, &error);
  bson_destroy(&opts);
  std::fprintf(stderr, "[capability] %-34s -> %s domain=%u code=%u %s\n", "insert_in_transaction",
               inserted ? "SUPPORTED" : "ERROR", error.domain, inserted ? 0u : error.code,
               inserted ? "" : error.message);
  EXPECT_FALSE(inserted) << "an insert inside a transaction was accepted: " << to_json(&reply);
  if (!inserted) {
    EXPECT_EQ(error.domain, kTxnInsertErrorDomain) << error.message;
    EXPECT_EQ(error.code, kTxnInsertErrorCode) << error.message;
  }
  bson_destroy(&reply);
  // Nothing was written.
  EXPECT_EQ(count(R"({"_id": 1000})"), 0);
  mongoc_client_session_abort_transaction(session, &error);  // warns: no abortTransaction
  mongoc_client_session_destroy(session);
}

// ---- unique index violations by an update ---------------------------------
// insert of a duplicate gives the proper E11000 (mongodb_smoke_test), but an
// update that moves a document onto an existing unique key comes back as
// InternalError (1) carrying SQLite's message, not DuplicateKey (11000).
TEST_F(FerretDbCaps, UpdateOntoExistingUniqueKey) {
  ASSERT_TRUE(
      command(
          R"({"createIndexes": "items", "indexes": [{"key": {"k": 1}, "name": "k_unique", "unique": true}]})")
          .ok);
  const Result dup_insert = command(R"({"insert": "items", "documents": [{"_id": 4, "k": "a"}]})");
  EXPECT_FALSE(dup_insert.ok);
  EXPECT_EQ(dup_insert.code, 11000u) << dup_insert.message;

  const Result r =
      command(R"({"update": "items", "updates": [{"q": {"_id": 2}, "u": {"$set": {"k": "a"}}}]})");
  std::fprintf(stderr, "[capability] %-34s -> %s code=%u %s\n", "update_onto_unique_key",
               r.ok ? "SUPPORTED" : "ERROR", r.code, r.message.c_str());
  EXPECT_FALSE(r.ok) << r.reply;
  EXPECT_EQ(r.code, 1u) << r.message;  // InternalError, where MongoDB says 11000
  EXPECT_NE(r.message.find("UNIQUE constraint failed"), std::string::npos) << r.message;
  EXPECT_EQ(count(R"({"k": "a"})"), 1);
}

// ---- the big-bulk-update deadlock ----------------------------------------
// FerretDB v1.24 keeps the SQLite query of every statement of one `update`
// command open until the whole command ends, when the statement matched a
// document (handler/msg_update.go: `defer closer.Close()` inside the loop).
// The per-database SQLite pool has 100 connections, so one `update` command
// with >= ~100 statements that match existing documents never answers
// (with the PostgreSQL backend the pool is 50: worse). libmongoc sends a whole
// bulk as one command (FerretDB advertises maxWriteBatchSize 100000), so a
// store must execute bulk updates/upserts in chunks of at most
// kSafeUpdateBatch statements.
constexpr int kSafeUpdateBatch = 50;

std::string update_command(int first, int n) {
  std::string cmd = R"({"update": "items", "ordered": false, "updates": [)";
  for (int i = first; i < first + n; ++i) {
    if (i != first) cmd += ",";
    cmd +=
        R"({"q": {"_id": )" + std::to_string(i) + R"(}, "u": {"$set": {"v": 1}}, "upsert": true})";
  }
  return cmd + "]}";
}

TEST_F(FerretDbCaps, UpdateCommandWithManyMatchingStatementsWedgesTheDatabase) {
  constexpr int kDocs = 150;
  // Everything here goes through a client with a 5 s socket timeout, on a
  // database of its own that is deliberately never dropped: once wedged, it
  // stays wedged until FerretDB restarts (tools/testenv/down; up).
  std::string uri = mongodb_uri_or_empty();
  uri += (uri.find('?') == std::string::npos ? "?" : "&");
  uri += "socketTimeoutMS=5000";
  mongoc_client_t* c = mongoc_client_new(uri.c_str());
  ASSERT_NE(c, nullptr) << uri;
  const std::string wedged_name = db_name_.substr(0, 50) + "_wedged";
  mongoc_database_t* db = mongoc_client_get_database(c, wedged_name.c_str());
  auto run = [&](const std::string& cmd, bson_error_t* error) {
    bson_t reply;
    const bool ok = mongoc_database_command_simple(db, json(cmd).get(), nullptr, &reply, error);
    std::string out = to_json(&reply);
    bson_destroy(&reply);
    return std::make_pair(ok, out);
  };
  bson_error_t error;

  // Create kDocs documents (upserts that match nothing do not hold a
  // connection), then update them all in chunks of kSafeUpdateBatch: fine.
  for (int pass = 0; pass < 2; ++pass) {
    for (int first = 0; first < kDocs; first += kSafeUpdateBatch) {
      const auto [ok, reply] = run(update_command(first, kSafeUpdateBatch), &error);
      ASSERT_TRUE(ok) << error.message;
      EXPECT_EQ(get_int(json(reply).get(), "n"), kSafeUpdateBatch) << reply;
    }
  }
  std::fprintf(stderr, "[capability] %-34s -> SUPPORTED\n", "update_50_matching_statements");

  // All kDocs statements in one command: no answer.
  {
    const auto [ok, reply] = run(update_command(0, kDocs), &error);
    std::fprintf(stderr, "[capability] %-34s -> %s %s\n", "update_150_matching_statements",
                 ok ? "SUPPORTED" : "NO ANSWER", ok ? "" : error.message);
    EXPECT_FALSE(ok) << "the big update answered (the FerretDB bug is gone?): " << reply;
    if (!ok) {
      EXPECT_EQ(error.domain, static_cast<uint32_t>(MONGOC_ERROR_STREAM)) << error.message;
      EXPECT_EQ(error.code, static_cast<uint32_t>(MONGOC_ERROR_STREAM_SOCKET)) << error.message;
    }
  }
  // The stuck command keeps its connections after our socket is gone: the
  // database no longer answers even a count...
  {
    const auto [ok, reply] = run(R"({"count": "items"})", &error);
    std::fprintf(stderr, "[capability] %-34s -> %s %s\n", "same_database_after_the_hang",
                 ok ? "ANSWERS" : "NO ANSWER", ok ? "" : error.message);
    EXPECT_FALSE(ok) << "the database recovered: " << reply;
  }
  mongoc_database_destroy(db);
  mongoc_client_destroy(c);
  // ...while other databases (each its own SQLite file and pool) still work.
  EXPECT_EQ(count("{}"), 3);
}
}  // namespace
}  // namespace primesync_it
