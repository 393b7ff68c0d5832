// Small helpers shared by the MongoDB (FerretDB) integration tests.
#pragma once

#include <mongoc/mongoc.h>

#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>

#include <unistd.h>

namespace primesync_it {

// Owning handle of a heap bson_t (std::unique_ptr<bson_t> would warn about
// bson_t's alignment attribute).
class Bson {
 public:
  explicit Bson(bson_t* b) : b_(b) {}
  Bson(Bson&& o) noexcept : b_(o.b_) { o.b_ = nullptr; }
  Bson& operator=(Bson&& o) noexcept {
    std::swap(b_, o.b_);
    return *this;
  }
  Bson(const Bson&) = delete;
  Bson& operator=(const Bson&) = delete;
  ~Bson() {
    if (b_ != nullptr) bson_destroy(b_);
  }
  bson_t* get() const { return b_; }

 private:
  bson_t* b_;
};

// Parses relaxed extended JSON; aborts the test on a malformed literal.
inline Bson json(const std::string& text) {
  bson_error_t error;
  bson_t* b = bson_new_from_json(reinterpret_cast<const uint8_t*>(text.data()),
                                 static_cast<ssize_t>(text.size()), &error);
  if (b == nullptr) {
    ADD_FAILURE() << "bad JSON literal in test: " << error.message << ": " << text;
    return Bson(bson_new());
  }
  return Bson(b);
}

inline std::string to_json(const bson_t* b) {
  if (b == nullptr) return "(null)";
  char* s = bson_as_relaxed_extended_json(b, nullptr);
  std::string out = s != nullptr ? s : "(unprintable)";
  bson_free(s);
  return out;
}

inline int64_t get_int(const bson_t* doc, const char* dotted_key) {
  bson_iter_t it;
  bson_iter_t found;
  if (bson_iter_init(&it, doc) && bson_iter_find_descendant(&it, dotted_key, &found)) {
    if (BSON_ITER_HOLDS_NUMBER(&found)) return bson_iter_as_int64(&found);
  }
  ADD_FAILURE() << "no numeric field '" << dotted_key << "' in " << to_json(doc);
  return -1;
}

inline bool has_field(const bson_t* doc, const char* dotted_key) {
  bson_iter_t it;
  bson_iter_t found;
  return bson_iter_init(&it, doc) && bson_iter_find_descendant(&it, dotted_key, &found);
}

// Returns the URI or "" (after printing a loud notice) when unset.
inline std::string mongodb_uri_or_empty() {
  const char* uri = std::getenv("PRIMESYNC_TEST_MONGODB_URI");
  if (uri == nullptr || *uri == '\0') {
    std::fprintf(stderr,
                 "\n"
                 "**********************************************************************\n"
                 "* SKIPPING: PRIMESYNC_TEST_MONGODB_URI is not set, so this MongoDB   *\n"
                 "* integration test did NOT run. Start the servers with              *\n"
                 "*     eval \"$(tools/testenv/up)\"                                    *\n"
                 "* (see docs/testing.md) and run it again.                            *\n"
                 "**********************************************************************\n");
    return "";
  }
  return uri;
}

// Fixture: a client and a fresh database per test, dropped afterwards.
class MongoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string uri = mongodb_uri_or_empty();
    if (uri.empty()) GTEST_SKIP() << "PRIMESYNC_TEST_MONGODB_URI not set (see docs/testing.md)";
    mongoc_init();  // idempotent; mongoc_cleanup() is deliberately never called
    bson_error_t error;
    mongoc_uri_t* u = mongoc_uri_new_with_error(uri.c_str(), &error);
    ASSERT_NE(u, nullptr) << "bad PRIMESYNC_TEST_MONGODB_URI '" << uri << "': " << error.message;
    client_ = mongoc_client_new_from_uri_with_error(u, &error);
    mongoc_uri_destroy(u);
    ASSERT_NE(client_, nullptr) << error.message;
    mongoc_client_set_appname(client_, "primesync-integration-test");

    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
    // Database names: letters, digits and '_' only, and short (FerretDB's limit is 63).
    std::string test_name;
    for (char c : std::string(info->name())) {
      if (std::isalnum(static_cast<unsigned char>(c)) != 0) test_name += c;
      if (c == '/' || c == '_') test_name += '_';
    }
    db_name_ = "it_" + std::to_string(getpid()) + "_" + std::to_string(now % 1000000007) + "_" +
               test_name.substr(test_name.size() > 28 ? test_name.size() - 28 : 0);
    db_ = mongoc_client_get_database(client_, db_name_.c_str());
    coll_ = mongoc_client_get_collection(client_, db_name_.c_str(), "items");

    // Fail fast with a clear message if the server is not there.
    bson_t reply;
    const bool ok = mongoc_client_command_simple(client_, "admin", json(R"({"ping": 1})").get(),
                                                 nullptr, &reply, &error);
    bson_destroy(&reply);
    ASSERT_TRUE(ok) << "cannot ping " << uri << ": " << error.message;
  }

  void TearDown() override {
    if (db_ != nullptr) {
      bson_error_t error;
      if (!mongoc_database_drop(db_, &error)) {
        std::fprintf(stderr, "warning: dropping %s failed: %s\n", db_name_.c_str(), error.message);
      }
    }
    if (coll_ != nullptr) mongoc_collection_destroy(coll_);
    if (db_ != nullptr) mongoc_database_destroy(db_);
    if (client_ != nullptr) mongoc_client_destroy(client_);
  }

  struct Result {
    bool ok = false;
    uint32_t domain = 0;
    uint32_t code = 0;
    std::string message;
    std::string reply;  // relaxed extended JSON
  };

  // Runs a command on the test database and records the answer.
  Result command(const std::string& cmd_json) {
    Result r;
    bson_error_t error{};
    bson_t reply;
    r.ok = mongoc_database_command_simple(db_, json(cmd_json).get(), nullptr, &reply, &error);
    if (!r.ok) {
      r.domain = error.domain;
      r.code = error.code;
      r.message = error.message;
    }
    // Write commands report per-statement failures with ok: 1 and writeErrors.
    bson_iter_t it;
    bson_iter_t we;
    if (r.ok && bson_iter_init(&it, &reply) &&
        bson_iter_find_descendant(&it, "writeErrors.0.code", &we)) {
      r.ok = false;
      r.code = static_cast<uint32_t>(bson_iter_as_int64(&we));
      bson_iter_t msg;
      if (bson_iter_init(&it, &reply) &&
          bson_iter_find_descendant(&it, "writeErrors.0.errmsg", &msg) &&
          BSON_ITER_HOLDS_UTF8(&msg)) {
        r.message = std::string("writeErrors[0]: ") + bson_iter_utf8(&msg, nullptr);
      }
    }
    r.reply = to_json(&reply);
    bson_destroy(&reply);
    return r;
  }

  mongoc_client_t* client_ = nullptr;
  mongoc_database_t* db_ = nullptr;
  mongoc_collection_t* coll_ = nullptr;
  std::string db_name_;
};

}  // namespace primesync_it
