// The database goes away and comes back while the server runs on the MongoDB
// store (§6 50300 "a backing store unavailable; nothing was committed"): writes
// answer 50300 within a bounded time, /readyz answers 503, and once the database
// is back the same server process serves again by itself, nothing acknowledged
// lost. Stops and starts the shared FerretDB with tools/testenv/mongodb-ctl (same
// port and data), and restarts it in TearDown should a test stop half-way.
// Always on the MongoDB store; skips loudly without PRIMESYNC_TEST_MONGODB_URI.
// Runs in the ctest entry e2e_mongodb_outage.
#include <chrono>
#include <functional>
#include <iostream>
#include <thread>

#include "client_flows.hpp"
#include "server_process.hpp"
#include "testenv/ctl.hpp"

namespace primesync::e2e {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// The server's MongoDB timeouts in this test: a database that is down fails an
// operation after about this long (sync.adapters.mongodb.connectTimeoutMs).
constexpr int kConnectTimeoutMs = 1000;
constexpr int kOperationTimeoutMs = 2000;  // sync.adapters.mongodb.timeoutMs
// Deadlines: generous multiples of the above, never asserted as timings.
constexpr auto kAnswerDeadline = 10s;     // for one request while the database is down
constexpr auto kReadinessDeadline = 15s;  // /readyz follows the health monitor (1 s period)
constexpr auto kRecoveryDeadline = 30s;   // serving again after the database is back
constexpr int kUploadsBeforeOutage = 3;

bool eventually(std::chrono::milliseconds deadline, const std::function<bool()>& condition) {
  const auto until = Clock::now() + deadline;
  for (;;) {
    if (condition()) return true;
    if (Clock::now() >= until) return false;
    std::this_thread::sleep_for(50ms);
  }
}

class MongoDbOutageTest : public ServerTest {
 protected:
  void SetUp() override {
    PRIMESYNC_E2E_REQUIRE_MONGODB();
    // Only the server this run's URI names may be stopped.
    const testenv::CtlResult uri = testenv::run_testenv_ctl("mongodb", "uri");
    if (uri.exit_status != 0 || uri.out != *test_mongodb_uri() + "\n") {
      std::cerr << "*** mongodb-ctl controls '" << uri.out << "' (exit " << uri.exit_status
                << "), not PRIMESYNC_TEST_MONGODB_URI '" << *test_mongodb_uri()
                << "': outage test NOT RUN ***\n";
      GTEST_SKIP() << "tools/testenv/mongodb-ctl does not control PRIMESYNC_TEST_MONGODB_URI";
    }
    ServerTest::SetUp();
  }

  void TearDown() override {
    // A failed test must not leave the shared database down.
    if (database_stopped_) start_database();
    ServerTest::TearDown();
  }

  ServerOptions server_options() const override {
    ServerOptions options;
    options.store = StoreKind::mongodb;
    options.environment = {
        {"PRIMESYNC_SYNC_ADAPTERS_MONGODB_CONNECTTIMEOUTMS", std::to_string(kConnectTimeoutMs)},
        {"PRIMESYNC_SYNC_ADAPTERS_MONGODB_TIMEOUTMS", std::to_string(kOperationTimeoutMs)}};
    return options;
  }

  void stop_database() {
    database_stopped_ = true;
    const testenv::CtlResult stopped = testenv::run_testenv_ctl("mongodb", "stop");
    ASSERT_EQ(stopped.exit_status, 0) << "mongodb-ctl stop failed";
  }

  void start_database() {
    const testenv::CtlResult started = testenv::run_testenv_ctl("mongodb", "start");
    EXPECT_EQ(started.exit_status, 0) << "mongodb-ctl start failed: the database may be down";
    database_stopped_ = started.exit_status != 0;
  }

  // GET /readyz's status, or -1 when it does not answer.
  int readiness() {
    try {
      HttpClient http("127.0.0.1", server().port(), kAnswerDeadline);
      return http.request("GET", "/readyz").status;
    } catch (const HttpError&) {
      return -1;
    }
  }

  // A device whose requests give up after kAnswerDeadline (an HttpError then).
  ApiClient device(const std::string& user) {
    ApiClient client(server().port(), mint_token(user));
    client.http() = HttpClient("127.0.0.1", server().port(), kAnswerDeadline);
    return client;
  }

  bool database_stopped_ = false;
  ItemFactory factory_{1401};
};

TEST_F(MongoDbOutageTest, WritesAnswer50300WhileTheDatabaseIsDownAndServiceResumesByItself) {
  const std::string user = "outage-user";
  ApiClient writer = device(user);
  const std::string pwd_hash = factory_.uuid();
  std::vector<Item> acknowledged = factory_.items("Account", "before", 2);
  ASSERT_TRUE(is_ok(writer.flush(acknowledged, pwd_hash, factory_.lock(kBaseTimestamp))));
  for (const Item& item : factory_.items("Wallet", "before", kUploadsBeforeOutage)) {
    ASSERT_TRUE(is_ok(writer.upload({item}, pwd_hash)));
    acknowledged.push_back(item);
  }
  ASSERT_EQ(readiness(), 200);

  ASSERT_NO_FATAL_FAILURE(stop_database());

  // A write answers 50300 (not a hang, not a success): a single request, answered
  // before kAnswerDeadline or HttpError fails the test.
  const Item during = factory_.item("Wallet", "during-outage", kBaseTimestamp + 1);
  ApiResponse refused = writer.upload({during}, pwd_hash);
  EXPECT_TRUE(has_code(refused, 503, 50300));
  EXPECT_TRUE(refused.http.header("retry-after").has_value());
  // So does an operation on a user no instance has cached: it must read the database.
  ApiClient stranger = device("outage-stranger");
  EXPECT_TRUE(has_code(stranger.check({}, ""), 503, 50300));
  // /readyz follows (the health monitor pings every second).
  EXPECT_TRUE(eventually(kReadinessDeadline, [&] { return readiness() == 503; }))
      << "/readyz still answers " << readiness() << " while the database is down";
  // Liveness is not readiness: the process stays up and answers /healthz.
  EXPECT_EQ(server().client().request("GET", "/healthz").status, 200);

  ASSERT_NO_FATAL_FAILURE(start_database());

  // The same server process becomes ready and takes writes again by itself.
  EXPECT_TRUE(eventually(kRecoveryDeadline, [&] { return readiness() == 200; }))
      << "/readyz still answers " << readiness() << " after the database came back";
  int refusals_while_reconnecting = 0;
  int attempt = 0;
  const bool resumed = eventually(kRecoveryDeadline, [&] {
    // Fresh keys per attempt: an attempt answered 50300 must leave nothing behind.
    const Item after =
        factory_.item("Wallet", "after-outage-" + std::to_string(attempt++), kBaseTimestamp + 2);
    ApiResponse response = writer.upload({after}, pwd_hash);
    if (is_ok(response)) {
      acknowledged.push_back(after);
      return true;
    }
    EXPECT_TRUE(has_code(response, 503, 50300)) << "while reconnecting";
    ++refusals_while_reconnecting;
    return false;
  });
  ASSERT_TRUE(resumed) << "no write succeeded after the database came back";
  std::cerr << "[outage] " << refusals_while_reconnecting
            << " writes answered 50300 after the database came back, before one succeeded\n";
  EXPECT_TRUE(server().running());

  // Everything acknowledged before the outage is there, plus the write after it,
  // and nothing of the refused one; one nonce step per acknowledged upload.
  ApiClient reader = device(user);
  EXPECT_EQ(reader.download_all(pwd_hash), as_stored_sorted(acknowledged));
  EXPECT_EQ(reader.nonce(), 1 + kUploadsBeforeOutage + 1);
  // A server started now (a cold cache) reads the same from the database.
  server().restart();
  ApiClient cold = device(user);
  EXPECT_EQ(cold.download_all(pwd_hash), as_stored_sorted(acknowledged));
  EXPECT_EQ(cold.nonce(), 1 + kUploadsBeforeOutage + 1);
}

}  // namespace
}  // namespace primesync::e2e
