// Runs the real `primesync-server` binary for a test: a free loopback port, a temp
// dir holding the data dir, the log and an optional config file, and a lifecycle
// (start, SIGTERM stop, kill -9, restart on the same data).
//
// The store is the embedded RocksDB one in the data dir, or, with env
// PRIMESYNC_E2E_STORE=mongodb (or ServerOptions::store), the MongoDB store on
// PRIMESYNC_TEST_MONGODB_URI in a fresh database per ServerProcess (kept across
// restarts, dropped when the ServerProcess is destroyed). The store settings reach
// the server as PRIMESYNC_SYNC_ADAPTERS_* environment variables, so a test's own
// config file never clashes with them.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "http_client.hpp"
#include "mongodb_database.hpp"
#include "token.hpp"

namespace primesync::e2e {

// The config key that limits the request body size (`[server] bodyLimit`, bytes).
inline constexpr std::string_view kBodyLimitSection = "server";
inline constexpr std::string_view kBodyLimitKey = "bodyLimit";

// The server binary: env PRIMESYNC_SERVER_BINARY_OVERRIDE, else the build's
// PRIMESYNC_SERVER_BINARY; nullopt when neither exists.
[[nodiscard]] std::optional<std::filesystem::path> server_binary();

// How many iterations a loop-heavy test runs: `on_embedded_store` on RocksDB, a
// fifth of it (at least 1) on MongoDB, where FerretDB on SQLite takes tens to
// hundreds of milliseconds per write. The only place e2e tests scale by store.
[[nodiscard]] int iterations_for_store_under_test(int on_embedded_store);

struct ServerOptions {
  std::string jwt_secret = std::string(kTestJwtSecret);
  std::string config_toml;              // written to <tmp>/config.toml and passed when non-empty
  std::vector<std::string> extra_args;  // appended to the command line
  unsigned threads = 2;
  // The store; nullopt = store_under_test() (env PRIMESYNC_E2E_STORE).
  std::optional<StoreKind> store;
  // On the mongodb store: the database. Empty = a fresh one owned (and dropped) by
  // the ServerProcess; a name given here belongs to the caller (ScratchDatabase),
  // e.g. to share one database between several servers.
  std::string mongodb_database;
  // More environment variables for the server and its commands, e.g.
  // {"PRIMESYNC_SYNC_ADAPTERS_MONGODB_INSTANCEID", "a"}.
  std::vector<std::pair<std::string, std::string>> environment;
};

// Why a server with these options cannot run here (the mongodb store without
// PRIMESYNC_TEST_MONGODB_URI), or nullopt.
[[nodiscard]] std::optional<std::string> missing_prerequisite(const ServerOptions& options);

struct ExitStatus {
  bool exited = false;     // exited normally (vs killed by a signal)
  int code = -1;           // exit code when exited
  int signal = 0;          // the signal when killed
  bool timed_out = false;  // did not exit before the deadline (then killed with SIGKILL)

  [[nodiscard]] bool clean() const { return exited && code == 0 && !timed_out; }
  [[nodiscard]] std::string describe() const;
};

// The output of a short-lived run of the binary (sub-commands, --print-config).
struct CommandResult {
  ExitStatus status;
  std::string output;  // stdout and stderr together
};

class ServerProcess {
 public:
  explicit ServerProcess(ServerOptions options = {});
  ~ServerProcess();  // kills a running server and removes the temp dir
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Starts on a fresh free port and waits for GET /healthz == 200; throws on failure.
  void start();
  // SIGTERM, then waits for the exit with a deadline.
  ExitStatus stop(std::chrono::milliseconds deadline = std::chrono::seconds(20));
  // SIGKILL and reap.
  void kill9();
  // Starts again on the same data dir (and a new port).
  void restart();

  [[nodiscard]] bool running();
  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] const std::filesystem::path& data_dir() const { return data_dir_; }
  [[nodiscard]] const std::filesystem::path& log_path() const { return log_path_; }
  // Empty when the server runs without a config file.
  [[nodiscard]] const std::filesystem::path& config_path() const { return config_path_; }
  [[nodiscard]] StoreKind store() const { return store_; }
  // The database of the mongodb store; empty on rocksdb.
  [[nodiscard]] const std::string& mongodb_database() const { return mongodb_database_; }
  [[nodiscard]] std::string log_tail(std::size_t lines = 60) const;

  [[nodiscard]] HttpClient client() const { return HttpClient("127.0.0.1", port_); }

  // Runs the binary with `args` (same env and config) to completion.
  [[nodiscard]] CommandResult run_command(
      const std::vector<std::string>& args,
      std::chrono::milliseconds deadline = std::chrono::seconds(20)) const;

 private:
  [[nodiscard]] std::vector<std::string> server_args() const;
  [[nodiscard]] pid_t spawn(const std::vector<std::string>& args,
                            const std::filesystem::path& output) const;
  void wait_until_healthy(std::chrono::milliseconds deadline);

  ServerOptions options_;
  std::filesystem::path binary_;
  std::filesystem::path temp_dir_;
  std::filesystem::path data_dir_;
  std::filesystem::path log_path_;
  std::filesystem::path config_path_;
  StoreKind store_ = StoreKind::rocksdb;
  std::string mongodb_uri_;
  std::string mongodb_database_;
  std::unique_ptr<ScratchDatabase> owned_database_;  // dropped after the server is killed
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

// Base fixture: starts one server per test (skipping loudly without a binary, or
// on the mongodb store without PRIMESYNC_TEST_MONGODB_URI) and prints the server
// log tail when the test failed.
class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;
  // Override to start the server differently (e.g. with a config file).
  [[nodiscard]] virtual ServerOptions server_options() const { return {}; }

  ServerProcess& server() { return *server_; }

  std::unique_ptr<ServerProcess> server_;
};

// Skips the current test (call from the test body / SetUp) when there is no binary.
#define PRIMESYNC_E2E_REQUIRE_BINARY()                                               \
  do {                                                                               \
    if (!::primesync::e2e::server_binary()) {                                        \
      GTEST_SKIP() << "*** primesync-server binary not available: e2e test NOT RUN " \
                      "(build the primesync-server target or set "                   \
                      "PRIMESYNC_SERVER_BINARY_OVERRIDE) ***";                       \
    }                                                                                \
  } while (false)

// Skips the current test loudly when PRIMESYNC_TEST_MONGODB_URI is unset.
#define PRIMESYNC_E2E_REQUIRE_MONGODB()                                                        \
  do {                                                                                         \
    if (!::primesync::e2e::test_mongodb_uri()) {                                               \
      ::primesync::e2e::print_mongodb_skip_banner();                                           \
      GTEST_SKIP() << "*** PRIMESYNC_TEST_MONGODB_URI not set: e2e test on the MongoDB store " \
                      "NOT RUN (eval \"$(tools/testenv/up)\", see docs/testing.md) ***";       \
    }                                                                                          \
  } while (false)

}  // namespace primesync::e2e
