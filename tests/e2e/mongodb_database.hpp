// The MongoDB side of the e2e tests: which store the servers run on, the test
// server's URI, fresh database names, and dropping a test's database at the end
// (libmongoc; the server itself never drops anything).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace primesync::e2e {

enum class StoreKind { rocksdb, mongodb };

// The store every ServerProcess runs on unless its options say otherwise: env
// PRIMESYNC_E2E_STORE ("rocksdb" or unset: the embedded store; "mongodb": the
// server at PRIMESYNC_TEST_MONGODB_URI). Any other value throws.
[[nodiscard]] StoreKind store_under_test();
[[nodiscard]] std::string_view store_name(StoreKind store);

// PRIMESYNC_TEST_MONGODB_URI (exported by tools/testenv/up); nullopt when unset.
[[nodiscard]] std::optional<std::string> test_mongodb_uri();

// A database name no earlier run used: "e2e_" + 8 random hex digits + "_" + the
// first letters of `hint` (letters, digits and '_' only, at most 40 characters;
// FerretDB allows 63).
[[nodiscard]] std::string fresh_database_name(std::string_view hint);

// Drops `database` on `uri`; returns an empty string on success, else the error.
// Gives up after a few seconds when the server does not answer.
[[nodiscard]] std::string drop_database(const std::string& uri, const std::string& database);

// A database owned by a test: a fresh name, dropped (best effort, a warning on
// stderr when it fails) when this object is destroyed.
class ScratchDatabase {
 public:
  ScratchDatabase(std::string uri, std::string_view hint);
  ~ScratchDatabase();
  ScratchDatabase(const ScratchDatabase&) = delete;
  ScratchDatabase& operator=(const ScratchDatabase&) = delete;

  [[nodiscard]] const std::string& uri() const { return uri_; }
  [[nodiscard]] const std::string& name() const { return name_; }

 private:
  std::string uri_;
  std::string name_;
};

// The loud notice a test prints before skipping because the URI is unset.
void print_mongodb_skip_banner();

}  // namespace primesync::e2e
