#include "mongodb_database.hpp"

#include <mongoc/mongoc.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <random>
#include <stdexcept>

namespace primesync::e2e {
namespace {

constexpr std::size_t kMaxDatabaseName = 40;
// How long dropping waits for an unreachable server before giving up.
constexpr int kDropTimeoutMs = 3000;

std::string random_hex(std::size_t digits) {
  static std::mutex mutex;
  static std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::lock_guard lock(mutex);
  std::string out;
  for (std::size_t i = 0; i < digits; ++i) out.push_back(kHex[rng() & 0xFU]);
  return out;
}

}  // namespace

StoreKind store_under_test() {
  const char* value = std::getenv("PRIMESYNC_E2E_STORE");
  const std::string store = value == nullptr ? "" : value;
  if (store.empty() || store == "rocksdb") return StoreKind::rocksdb;
  if (store == "mongodb") return StoreKind::mongodb;
  throw std::runtime_error("PRIMESYNC_E2E_STORE='" + store + "': must be rocksdb or mongodb");
}

std::string_view store_name(StoreKind store) {
  return store == StoreKind::mongodb ? "mongodb" : "rocksdb";
}

std::optional<std::string> test_mongodb_uri() {
  const char* uri = std::getenv("PRIMESYNC_TEST_MONGODB_URI");
  if (uri == nullptr || *uri == '\0') return std::nullopt;
  return std::string(uri);
}

std::string fresh_database_name(std::string_view hint) {
  std::string name = "e2e_" + random_hex(8) + "_";
  for (const char c : hint) {
    if (name.size() >= kMaxDatabaseName) break;
    name.push_back(std::isalnum(static_cast<unsigned char>(c)) != 0 ? c : '_');
  }
  return name;
}

std::string drop_database(const std::string& uri, const std::string& database) {
  static std::once_flag init;
  std::call_once(init, [] { mongoc_init(); });  // mongoc_cleanup() is never called
  bson_error_t error;
  mongoc_uri_t* parsed = mongoc_uri_new_with_error(uri.c_str(), &error);
  if (parsed == nullptr) return "bad URI '" + uri + "': " + error.message;
  mongoc_uri_set_option_as_int32(parsed, MONGOC_URI_SERVERSELECTIONTIMEOUTMS, kDropTimeoutMs);
  mongoc_uri_set_option_as_int32(parsed, MONGOC_URI_CONNECTTIMEOUTMS, kDropTimeoutMs);
  mongoc_uri_set_option_as_int32(parsed, MONGOC_URI_SOCKETTIMEOUTMS, 4 * kDropTimeoutMs);
  mongoc_client_t* client = mongoc_client_new_from_uri_with_error(parsed, &error);
  mongoc_uri_destroy(parsed);
  if (client == nullptr) return std::string("cannot create a client: ") + error.message;
  mongoc_client_set_appname(client, "primesync-e2e-tests");
  mongoc_database_t* db = mongoc_client_get_database(client, database.c_str());
  std::string result;
  if (!mongoc_database_drop(db, &error)) result = error.message;
  mongoc_database_destroy(db);
  mongoc_client_destroy(client);
  return result;
}

ScratchDatabase::ScratchDatabase(std::string uri, std::string_view hint)
    : uri_(std::move(uri)), name_(fresh_database_name(hint)) {}

ScratchDatabase::~ScratchDatabase() {
  if (std::getenv("PRIMESYNC_E2E_KEEP_TEMP") != nullptr) {
    std::fprintf(stderr, "e2e: keeping database %s (PRIMESYNC_E2E_KEEP_TEMP)\n", name_.c_str());
    return;
  }
  const std::string error = drop_database(uri_, name_);
  if (!error.empty()) {
    std::fprintf(stderr, "e2e: warning: dropping database %s failed: %s\n", name_.c_str(),
                 error.c_str());
  }
}

void print_mongodb_skip_banner() {
  std::fprintf(stderr,
               "\n"
               "**********************************************************************\n"
               "* SKIPPING: PRIMESYNC_TEST_MONGODB_URI is not set, so this e2e test  *\n"
               "* on the MongoDB store did NOT run. Start the servers with           *\n"
               "*     eval \"$(tools/testenv/up)\"                                    *\n"
               "* (see docs/testing.md) and run it again.                            *\n"
               "**********************************************************************\n");
}

}  // namespace primesync::e2e
