// Two server processes on one MongoDB database (DESIGN.md "Many instances on one
// database"): concurrent uploads of one user through both lose no nonce increment
// and no item (§4 "atomic and isolated per user"), and one instance's cached state
// never decides a write. Always on the MongoDB store; skips loudly without
// PRIMESYNC_TEST_MONGODB_URI. Runs in the ctest entry e2e_on_mongodb.
#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <iostream>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "client_flows.hpp"
#include "server_process.hpp"

namespace primesync::e2e {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::string_view kInstanceIdVariable = "PRIMESYNC_SYNC_ADAPTERS_MONGODB_INSTANCEID";
constexpr std::string_view kCacheTtlVariable = "PRIMESYNC_SYNC_CACHETTL";
constexpr std::string_view kEnableCacheVariable = "PRIMESYNC_SYNC_ENABLECACHE";

// Polls `condition` until it holds or `deadline` passes.
bool eventually(std::chrono::milliseconds deadline, const std::function<bool()>& condition) {
  const auto until = Clock::now() + deadline;
  for (;;) {
    if (condition()) return true;
    if (Clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

// The value of counter `name` on the server's /metrics ("name VALUE" line), or -1.
std::int64_t metric(const ServerProcess& server, std::string_view name) {
  HttpClient http = server.client();
  const std::string body = http.request("GET", "/metrics").body;
  const std::string prefix = "\n" + std::string(name) + " ";
  const std::size_t at = body.find(prefix);
  if (at == std::string::npos) return -1;
  return std::stoll(body.substr(at + prefix.size()));
}

class MultiInstanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    PRIMESYNC_E2E_REQUIRE_BINARY();
    PRIMESYNC_E2E_REQUIRE_MONGODB();
    database_ = std::make_unique<ScratchDatabase>(
        *test_mongodb_uri(), ::testing::UnitTest::GetInstance()->current_test_info()->name());
  }

  void TearDown() override {
    if (!HasFailure()) return;
    for (const auto& server : servers_) {
      std::cerr << "---- server log tail (" << server->log_path() << ") ----\n"
                << server->log_tail() << "---- end of server log ----\n";
    }
  }

  // Starts one more instance on the test's database, named `instance_id`, with
  // `environment` added (config keys as PRIMESYNC_* variables).
  ServerProcess& start_instance(const std::string& instance_id,
                                std::vector<std::pair<std::string, std::string>> environment = {}) {
    ServerOptions options;
    options.store = StoreKind::mongodb;
    options.mongodb_database = database_->name();
    options.environment = std::move(environment);
    options.environment.emplace_back(kInstanceIdVariable, instance_id);
    servers_.push_back(std::make_unique<ServerProcess>(std::move(options)));
    servers_.back()->start();
    return *servers_.back();
  }

  // A cold instance without a cache: its reads show what the database holds.
  ServerProcess& start_auditor() {
    return start_instance("instance-auditor", {{std::string(kEnableCacheVariable), "false"}});
  }

  // Declared before the servers, so it is dropped after they are killed.
  std::unique_ptr<ScratchDatabase> database_;
  std::vector<std::unique_ptr<ServerProcess>> servers_;
};

// What the load's client threads saw.
struct LoadTally {
  std::mutex mutex;
  std::vector<Item> acknowledged;    // items of every acknowledged upload, as sent
  std::vector<std::int64_t> nonces;  // the nonce each acknowledged upload answered
  std::vector<std::string> failures;
  int nonce_refusals = 0;  // 90009 answers
  int unavailable = 0;     // 50300 answers (retried)
};

constexpr int kClients = 4;
constexpr int kUploadsPerClient = 8;
constexpr int kItemsPerUpload = 2;
constexpr int kMaxAttemptsPerUpload = 12;
constexpr auto kUploadDeadline = std::chrono::seconds(60);
// cacheTTL of the two loaded instances: their cached reads expire this fast.
constexpr int kLoadCacheTtlSeconds = 1;

// Before retrying after a 50300: a short pause that grows with the attempt.
void pause_before_retry(int attempt) {
  std::this_thread::sleep_for(std::chrono::milliseconds(25 * (attempt + 1)));
}

TEST_F(MultiInstanceTest, ConcurrentUploadsThroughTwoInstancesLoseNoNonceIncrementAndNoItem) {
  const std::vector<std::pair<std::string, std::string>> short_cache = {
      {std::string(kCacheTtlVariable), std::to_string(kLoadCacheTtlSeconds)}};
  ServerProcess& server_a = start_instance("instance-a", short_cache);
  ServerProcess& server_b = start_instance("instance-b", short_cache);
  const std::array<std::uint16_t, 2> ports = {server_a.port(), server_b.port()};

  const std::string user = "multi-instance-load";
  ItemFactory setup_factory(1301);
  const std::string pwd_hash = setup_factory.uuid();
  ApiClient setup(server_a.port(), mint_token(user));
  ASSERT_TRUE(is_ok(setup.flush({}, pwd_hash, setup_factory.lock(kBaseTimestamp))));

  LoadTally tally;
  std::vector<std::thread> clients;
  for (int client = 0; client < kClients; ++client) {
    clients.emplace_back([&, client] {
      try {
        ItemFactory factory(1310 + static_cast<std::uint64_t>(client));
        // Each client uploads through one instance; its checks alternate between
        // both, so an upload often carries a nonce learned from the other instance.
        ApiClient uploader(ports[client % 2], mint_token(user));
        std::array<ApiClient, 2> checkers = {ApiClient(ports[0], mint_token(user)),
                                             ApiClient(ports[1], mint_token(user))};
        for (int upload = 0; upload < kUploadsPerClient; ++upload) {
          const auto deadline = Clock::now() + kUploadDeadline;
          bool acknowledged = false;
          for (int attempt = 0;
               !acknowledged && attempt < kMaxAttemptsPerUpload && Clock::now() < deadline;
               ++attempt) {
            ApiResponse check = checkers[(client + upload + attempt) % 2].check({}, pwd_hash);
            if (has_code(check, 503, 50300)) {
              std::lock_guard lock(tally.mutex);
              ++tally.unavailable;
              pause_before_retry(attempt);
              continue;
            }
            if (!is_ok(check)) throw std::runtime_error("check failed: " + check.describe());
            const std::int64_t nonce = get_int(check.data, "nonce");
            // Fresh keys on every attempt: a refused attempt must leave no item behind.
            const std::vector<Item> items =
                factory.items("Wallet",
                              "client-" + std::to_string(client) + "-upload-" +
                                  std::to_string(upload) + "-attempt-" + std::to_string(attempt),
                              kItemsPerUpload);
            ApiResponse response = uploader.upload(items, pwd_hash, nonce);
            std::lock_guard lock(tally.mutex);
            if (is_ok(response)) {
              if (get_int(response.data, "created") != kItemsPerUpload) {
                throw std::runtime_error("upload created the wrong count: " + response.describe());
              }
              tally.acknowledged.insert(tally.acknowledged.end(), items.begin(), items.end());
              tally.nonces.push_back(get_int(response.data, "nonce"));
              acknowledged = true;
            } else if (is_business_error(response, 90009)) {
              ++tally.nonce_refusals;  // re-check and retry
            } else if (has_code(response, 503, 50300)) {
              ++tally.unavailable;
              pause_before_retry(attempt);
            } else {
              throw std::runtime_error("upload failed: " + response.describe());
            }
          }
          if (!acknowledged) {
            throw std::runtime_error("upload " + std::to_string(upload) + " of client " +
                                     std::to_string(client) + " not acknowledged after " +
                                     std::to_string(kMaxAttemptsPerUpload) +
                                     " attempts or the deadline");
          }
        }
      } catch (const std::exception& error) {
        std::lock_guard lock(tally.mutex);
        tally.failures.emplace_back(error.what());
      }
    });
  }
  for (auto& thread : clients) thread.join();

  ASSERT_TRUE(tally.failures.empty())
      << tally.failures.size() << " clients failed; first: " << tally.failures.front();
  std::cerr << "[multi-instance] " << tally.nonces.size() << " uploads acknowledged, "
            << tally.unavailable << " answers 50300 (retried), " << tally.nonce_refusals
            << " answers 90009; write sets planned again after the other instance's commit: "
            << metric(server_a, "primesync_store_conflicts_total") << " on A, "
            << metric(server_b, "primesync_store_conflicts_total") << " on B\n";
  // A nonce a check has just answered can never exceed the user's nonce, which
  // only grows (§4 nonce gate): a 90009 means an instance judged the upload on a
  // stale state instead of the stored one.
  EXPECT_EQ(tally.nonce_refusals, 0);

  constexpr int kUploads = kClients * kUploadsPerClient;
  constexpr std::int64_t kFinalNonce = 1 + kUploads;  // the flush, then one per upload
  // Each acknowledged upload committed exactly one increment: distinct nonces 2 … 1+N.
  const std::set<std::int64_t> distinct(tally.nonces.begin(), tally.nonces.end());
  EXPECT_EQ(distinct.size(), static_cast<std::size_t>(kUploads));
  EXPECT_EQ(*distinct.begin(), 2);
  EXPECT_EQ(*distinct.rbegin(), kFinalNonce);

  // Exactly the acknowledged items, with their data: none lost, and nothing from
  // an attempt answered 50300 or 90009 ("nothing was committed", §6).
  const std::vector<Item> expected = as_stored_sorted(tally.acknowledged);
  ServerProcess& auditor = start_auditor();
  ApiClient audit(auditor.port(), mint_token(user));
  EXPECT_EQ(audit.download_all(pwd_hash), expected);
  EXPECT_EQ(audit.nonce(), kFinalNonce);

  // Both loaded instances answer the same once their cached states expire
  // (reads may use a cached state for up to cacheTTL, DESIGN.md "Cache").
  for (ServerProcess* server : {&server_a, &server_b}) {
    ApiClient reader(server->port(), mint_token(user));
    std::vector<Item> seen;
    std::int64_t nonce = -1;
    const bool converged = eventually(std::chrono::seconds(10 + kLoadCacheTtlSeconds), [&] {
      seen = reader.download_all(pwd_hash);
      nonce = reader.nonce();
      return seen == expected && nonce == kFinalNonce;
    });
    EXPECT_TRUE(converged) << "instance on port " << server->port() << " still answers nonce "
                           << nonce << " and " << seen.size() << " items (expected " << kFinalNonce
                           << " and " << expected.size() << ")";
  }
}

TEST_F(MultiInstanceTest, AReadRightAfterTheOthersCommitSeesIt) {
  // Default settings: a cached state is confirmed with the database before a read
  // answers from it, so a device told of a change (a push) and checking through
  // another instance sees that change.
  ServerProcess& server_a = start_instance("instance-a");
  ServerProcess& server_b = start_instance("instance-b");
  const std::string user = "multi-instance-fresh-read";
  ItemFactory factory(1330);
  const std::string pwd_hash = factory.uuid();
  ApiClient via_a(server_a.port(), mint_token(user));
  ApiClient via_b(server_b.port(), mint_token(user));
  ASSERT_TRUE(is_ok(
      via_b.flush(factory.items("Account", "flushed", 2), pwd_hash, factory.lock(kBaseTimestamp))));
  ASSERT_EQ(get_int(via_a.check({}, pwd_hash).data, "nonce"), 1);  // A caches the user

  ASSERT_TRUE(
      is_ok(via_b.upload({factory.item("Wallet", "by-b", kBaseTimestamp + 1)}, pwd_hash, 1)));
  const ApiResponse check = via_a.check({}, pwd_hash);
  ASSERT_TRUE(is_ok(check));
  EXPECT_EQ(get_int(check.data, "nonce"), 2);
  EXPECT_EQ(via_a.download_all(pwd_hash).size(), 3U);
}

TEST_F(MultiInstanceTest, AnInstancesCachedStateNeverHidesTheOthersCommitFromAWrite) {
  // Reads may answer from the cache (revalidateReads off) and the default cacheTTL
  // (an hour) keeps A's cached state stale for the whole test: writes must still
  // be planned on the stored state.
  const std::vector<std::pair<std::string, std::string>> cached_reads = {
      {"PRIMESYNC_SYNC_ADAPTERS_MONGODB_REVALIDATEREADS", "false"}};
  ServerProcess& server_a = start_instance("instance-a", cached_reads);
  ServerProcess& server_b = start_instance("instance-b", cached_reads);
  const std::string user = "multi-instance-stale-cache";
  ItemFactory factory(1320);
  const std::string pwd_hash = factory.uuid();
  // No instance id: these reads record no device, so they queue no write that
  // would refresh an instance's cached state.
  ApiClient via_a(server_a.port(), mint_token(user));
  ApiClient via_b(server_b.port(), mint_token(user));

  const std::vector<Item> flushed = factory.items("Account", "flushed", 2);
  ASSERT_TRUE(is_ok(via_b.flush(flushed, pwd_hash, factory.lock(kBaseTimestamp))));
  // A loads the user and caches it: nonce n.
  ApiResponse first_check = via_a.check({}, pwd_hash);
  ASSERT_TRUE(is_ok(first_check));
  const std::int64_t n = get_int(first_check.data, "nonce");
  ASSERT_EQ(n, 1);

  // B commits: n → n+1.
  const Item by_b = factory.item("Wallet", "by-b", kBaseTimestamp + 1);
  ApiResponse b_upload = via_b.upload({by_b}, pwd_hash, n);
  ASSERT_TRUE(is_ok(b_upload));
  ASSERT_EQ(get_int(b_upload.data, "nonce"), n + 1);

  // The premise: A's reads still answer from the state it cached before B's commit.
  ApiResponse stale_check = via_a.check({}, pwd_hash);
  ASSERT_TRUE(is_ok(stale_check));
  ASSERT_EQ(get_int(stale_check.data, "nonce"), n)
      << "premise broken: instance A no longer answers reads from its cached state, so this "
         "test does not exercise a stale cache";

  // Through A, the nonce B answered passes: A must not refuse it (90009) from its
  // stale state, but plan the write on the stored one.
  const Item by_a = factory.item("Wallet", "by-a", kBaseTimestamp + 2);
  ApiResponse a_upload = via_a.upload({by_a}, pwd_hash, n + 1);
  ASSERT_TRUE(is_ok(a_upload)) << a_upload.describe();
  EXPECT_EQ(get_int(a_upload.data, "created"), 1);
  EXPECT_EQ(get_int(a_upload.data, "nonce"), n + 2);

  // A nonce greater than the user's is still refused, and writes nothing.
  const Item refused = factory.item("Wallet", "refused", kBaseTimestamp + 3);
  EXPECT_TRUE(is_business_error(via_a.upload({refused}, pwd_hash, n + 3), 90009));
  // An older nonce passes: §4 refuses only a nonce greater than the user's.
  const Item older_nonce = factory.item("Wallet", "older-nonce", kBaseTimestamp + 4);
  ApiResponse a_older = via_a.upload({older_nonce}, pwd_hash, n);
  ASSERT_TRUE(is_ok(a_older)) << a_older.describe();
  EXPECT_EQ(get_int(a_older.data, "nonce"), n + 3);

  // The mirror image: B cached n+1 at its commit; A has since committed twice.
  const Item by_b_again = factory.item("Wallet", "by-b-again", kBaseTimestamp + 5);
  ApiResponse b_again = via_b.upload({by_b_again}, pwd_hash, n + 3);
  ASSERT_TRUE(is_ok(b_again)) << b_again.describe();
  EXPECT_EQ(get_int(b_again.data, "nonce"), n + 4);

  // The database holds every acknowledged write, and nothing of the refused one.
  ServerProcess& auditor = start_auditor();
  ApiClient audit(auditor.port(), mint_token(user));
  std::vector<Item> expected = flushed;
  expected.insert(expected.end(), {by_b, by_a, older_nonce, by_b_again});
  EXPECT_EQ(audit.download_all(pwd_hash), as_stored_sorted(expected));
  EXPECT_EQ(audit.nonce(), n + 4);
}

}  // namespace
}  // namespace primesync::e2e
