// Smoke test of the MongoDB-compatible server used for integration tests
// (FerretDB, see docs/testing.md) through libmongoc, exercising what a
// MongoDB-backed store needs: a unique compound index, bulk upserts,
// duplicate-key errors, filtered/projected/sorted/paged finds, delete many.
#include "mongo_test_util.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace primesync_it {
namespace {

constexpr int kDocs = 300;
constexpr int kBulkChunk = 50;

class MongoSmoke : public MongoTest {
 protected:
  void create_unique_index() {
    const Result r = command(R"({
      "createIndexes": "items",
      "indexes": [{"key": {"tenant": 1, "key": 1}, "name": "tenant_key_unique", "unique": true}]
    })");
    ASSERT_TRUE(r.ok) << r.message << " " << r.reply;
  }

  // Upserts kDocs documents {tenant: "t1", key: "k%03d"} in unordered bulks
  // of kBulkChunk, and returns the summed counters. Chunked because FerretDB
  // v1.24 never answers an update command of >= ~100 statements that match
  // existing documents (see ferretdb_capabilities_test.cpp,
  // UpdateCommandWithManyMatchingStatementsWedgesTheDatabase).
  bson_t bulk_upsert(int generation) {
    int64_t upserted = 0, matched = 0, modified = 0;
    for (int first = 0; first < kDocs; first += kBulkChunk) {
      bson_t reply = bulk_upsert_chunk(generation, first, std::min(kDocs, first + kBulkChunk));
      upserted += get_int(&reply, "nUpserted");
      matched += get_int(&reply, "nMatched");
      modified += get_int(&reply, "nModified");
      bson_destroy(&reply);
    }
    bson_t out = BSON_INITIALIZER;
    BSON_APPEND_INT64(&out, "nUpserted", upserted);
    BSON_APPEND_INT64(&out, "nMatched", matched);
    BSON_APPEND_INT64(&out, "nModified", modified);
    return out;
  }

  bson_t bulk_upsert_chunk(int generation, int begin, int end) {
    bson_t reply;
    bson_error_t error;
    mongoc_bulk_operation_t* bulk = mongoc_collection_create_bulk_operation_with_opts(
        coll_, json(R"({"ordered": false})").get());
    for (int i = begin; i < end; ++i) {
      char key[16];
      std::snprintf(key, sizeof key, "k%03d", i);
      Bson selector(BCON_NEW("tenant", BCON_UTF8("t1"), "key", BCON_UTF8(key)));
      Bson update(BCON_NEW("$set", "{", "value", BCON_INT32(i), "tag", BCON_INT32(i % 3), "gen",
                           BCON_INT32(generation), "}"));
      EXPECT_TRUE(mongoc_bulk_operation_update_one_with_opts(
          bulk, selector.get(), update.get(), json(R"({"upsert": true})").get(), &error))
          << error.message;
    }
    const uint32_t server_id = mongoc_bulk_operation_execute(bulk, &reply, &error);
    EXPECT_NE(server_id, 0u) << "bulk upsert failed: " << error.message << " " << to_json(&reply);
    mongoc_bulk_operation_destroy(bulk);
    return reply;
  }
};

TEST_F(MongoSmoke, UniqueCompoundIndexIsListed) {
  create_unique_index();
  mongoc_cursor_t* cursor = mongoc_collection_find_indexes_with_opts(coll_, nullptr);
  const bson_t* doc;
  bool found = false;
  while (mongoc_cursor_next(cursor, &doc)) {
    bson_iter_t it;
    if (bson_iter_init_find(&it, doc, "name") &&
        std::string(bson_iter_utf8(&it, nullptr)) == "tenant_key_unique") {
      found = true;
      bson_iter_t u;
      ASSERT_TRUE(bson_iter_init_find(&u, doc, "unique")) << to_json(doc);
      EXPECT_TRUE(bson_iter_as_bool(&u));
    }
  }
  bson_error_t error;
  EXPECT_FALSE(mongoc_cursor_error(cursor, &error)) << error.message;
  mongoc_cursor_destroy(cursor);
  EXPECT_TRUE(found);
}

TEST_F(MongoSmoke, BulkUpsertInsertsThenUpdates) {
  create_unique_index();

  bson_t first = bulk_upsert(1);
  EXPECT_EQ(get_int(&first, "nUpserted"), kDocs) << to_json(&first);
  EXPECT_EQ(get_int(&first, "nMatched"), 0) << to_json(&first);
  bson_destroy(&first);

  bson_t second = bulk_upsert(2);
  EXPECT_EQ(get_int(&second, "nUpserted"), 0) << to_json(&second);
  EXPECT_EQ(get_int(&second, "nMatched"), kDocs) << to_json(&second);
  EXPECT_EQ(get_int(&second, "nModified"), kDocs) << to_json(&second);
  bson_destroy(&second);

  bson_error_t error;
  const int64_t total =
      mongoc_collection_count_documents(coll_, json("{}").get(), nullptr, nullptr, nullptr, &error);
  EXPECT_EQ(total, kDocs) << error.message;
  const int64_t gen2 = mongoc_collection_count_documents(coll_, json(R"({"gen": 2})").get(),
                                                         nullptr, nullptr, nullptr, &error);
  EXPECT_EQ(gen2, kDocs) << error.message;
}

TEST_F(MongoSmoke, DuplicateKeyOnUniqueIndex) {
  create_unique_index();
  bson_t r = bulk_upsert(1);
  bson_destroy(&r);

  // insert_one of an existing (tenant, key) pair -> E11000.
  bson_error_t error;
  bson_t reply;
  const bool ok = mongoc_collection_insert_one(
      coll_, json(R"({"tenant": "t1", "key": "k007", "value": -1})").get(), nullptr, &reply,
      &error);
  EXPECT_FALSE(ok) << "duplicate insert was accepted: " << to_json(&reply);
  EXPECT_EQ(error.code, static_cast<uint32_t>(MONGOC_ERROR_DUPLICATE_KEY)) << error.message;
  EXPECT_NE(std::string(error.message).find("E11000"), std::string::npos) << error.message;
  bson_destroy(&reply);

  // The same key under another tenant is fine (the index is compound).
  EXPECT_TRUE(mongoc_collection_insert_one(
      coll_, json(R"({"tenant": "t2", "key": "k007", "value": -1})").get(), nullptr, nullptr,
      &error))
      << error.message;

  // An unordered bulk insert with one duplicate: the others are written and
  // the reply carries one writeError with code 11000.
  mongoc_bulk_operation_t* bulk =
      mongoc_collection_create_bulk_operation_with_opts(coll_, json(R"({"ordered": false})").get());
  mongoc_bulk_operation_insert(bulk, json(R"({"tenant": "t3", "key": "a"})").get());
  mongoc_bulk_operation_insert(bulk, json(R"({"tenant": "t1", "key": "k100"})").get());
  mongoc_bulk_operation_insert(bulk, json(R"({"tenant": "t3", "key": "b"})").get());
  const uint32_t server_id = mongoc_bulk_operation_execute(bulk, &reply, &error);
  EXPECT_EQ(server_id, 0u) << "bulk with a duplicate succeeded: " << to_json(&reply);
  EXPECT_EQ(error.code, static_cast<uint32_t>(MONGOC_ERROR_DUPLICATE_KEY)) << error.message;
  EXPECT_EQ(get_int(&reply, "nInserted"), 2) << to_json(&reply);
  EXPECT_EQ(get_int(&reply, "writeErrors.0.code"), 11000) << to_json(&reply);
  EXPECT_EQ(get_int(&reply, "writeErrors.0.index"), 1) << to_json(&reply);
  bson_destroy(&reply);
  mongoc_bulk_operation_destroy(bulk);

  // Upsert does not trip the index: it matches the existing document.
  EXPECT_TRUE(mongoc_collection_update_one(coll_, json(R"({"tenant": "t1", "key": "k007"})").get(),
                                           json(R"({"$set": {"value": 7007}})").get(),
                                           json(R"({"upsert": true})").get(), &reply, &error))
      << error.message;
  EXPECT_EQ(get_int(&reply, "matchedCount"), 1) << to_json(&reply);
  EXPECT_EQ(get_int(&reply, "upsertedCount"), 0) << to_json(&reply);
  bson_destroy(&reply);

  // (Updating a document onto an existing key is NOT reported as E11000 by
  // FerretDB: see ferretdb_capabilities_test.cpp, UpdateOntoExistingUniqueKey.)
}

TEST_F(MongoSmoke, FindWithFilterProjectionSortSkipLimit) {
  create_unique_index();
  bson_t r = bulk_upsert(1);
  bson_destroy(&r);

  // tag == 1 holds values 1, 4, 7, ..., 298 (100 docs). Sorted descending:
  // 298, 295, ...; skip 5 -> starts at 283; limit 10 -> 283 .. 256.
  Bson opts = json(R"({
    "projection": {"_id": 0, "key": 1, "value": 1},
    "sort": {"value": -1},
    "skip": 5,
    "limit": 10
  })");
  mongoc_cursor_t* cursor = mongoc_collection_find_with_opts(
      coll_, json(R"({"tenant": "t1", "tag": 1, "value": {"$gte": 0}})").get(), opts.get(),
      nullptr);
  std::vector<int64_t> values;
  const bson_t* doc;
  while (mongoc_cursor_next(cursor, &doc)) {
    EXPECT_FALSE(has_field(doc, "_id")) << to_json(doc);
    EXPECT_FALSE(has_field(doc, "tag")) << to_json(doc);
    EXPECT_FALSE(has_field(doc, "tenant")) << to_json(doc);
    EXPECT_TRUE(has_field(doc, "key")) << to_json(doc);
    values.push_back(get_int(doc, "value"));
  }
  bson_error_t error;
  EXPECT_FALSE(mongoc_cursor_error(cursor, &error)) << error.message;
  mongoc_cursor_destroy(cursor);

  std::vector<int64_t> expected;
  for (int v = 283; expected.size() < 10; v -= 3) expected.push_back(v);
  EXPECT_EQ(values, expected);

  // Sort on two keys and a batch size smaller than the result (getMore).
  cursor = mongoc_collection_find_with_opts(
      coll_, json(R"({"tenant": "t1"})").get(),
      json(
          R"({"sort": {"tag": 1, "value": -1}, "batchSize": 7, "projection": {"value": 1, "tag": 1}})")
          .get(),
      nullptr);
  int n = 0;
  int64_t prev_tag = -1;
  int64_t prev_value = 0;
  while (mongoc_cursor_next(cursor, &doc)) {
    const int64_t tag = get_int(doc, "tag");
    const int64_t value = get_int(doc, "value");
    if (tag == prev_tag) {
      EXPECT_LT(value, prev_value);
    } else {
      EXPECT_GT(tag, prev_tag);
    }
    prev_tag = tag;
    prev_value = value;
    ++n;
  }
  EXPECT_FALSE(mongoc_cursor_error(cursor, &error)) << error.message;
  mongoc_cursor_destroy(cursor);
  EXPECT_EQ(n, kDocs);
}

TEST_F(MongoSmoke, DeleteMany) {
  create_unique_index();
  bson_t r = bulk_upsert(1);
  bson_destroy(&r);

  bson_t reply;
  bson_error_t error;
  ASSERT_TRUE(
      mongoc_collection_delete_many(coll_, json(R"({"tag": 2})").get(), nullptr, &reply, &error))
      << error.message;
  EXPECT_EQ(get_int(&reply, "deletedCount"), kDocs / 3) << to_json(&reply);
  bson_destroy(&reply);

  const int64_t left =
      mongoc_collection_count_documents(coll_, json("{}").get(), nullptr, nullptr, nullptr, &error);
  EXPECT_EQ(left, kDocs - kDocs / 3) << error.message;
  const int64_t tag2 = mongoc_collection_count_documents(coll_, json(R"({"tag": 2})").get(),
                                                         nullptr, nullptr, nullptr, &error);
  EXPECT_EQ(tag2, 0) << error.message;

  // Deleted keys can be inserted again (the unique index entries went too).
  EXPECT_TRUE(mongoc_collection_insert_one(
      coll_, json(R"({"tenant": "t1", "key": "k002", "value": 2})").get(), nullptr, nullptr,
      &error))
      << error.message;

  ASSERT_TRUE(mongoc_collection_delete_many(coll_, json("{}").get(), nullptr, &reply, &error))
      << error.message;
  EXPECT_EQ(get_int(&reply, "deletedCount"), kDocs - kDocs / 3 + 1) << to_json(&reply);
  bson_destroy(&reply);
}

}  // namespace
}  // namespace primesync_it
