// Flow 8: concurrent uploads of one user (§4 "atomic and isolated per user",
// §7.2): no lost nonce increments, no lost items.
#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "client_flows.hpp"
#include "server_process.hpp"

namespace primesync::e2e {
namespace {

constexpr int kThreads = 8;
constexpr int kUploadsPerThreadOnTheEmbeddedStore = 25;
constexpr int kFlushesOnTheEmbeddedStore = 20;

// One user sends far more than a device would: per-user rate limiting is off here
// (it has its own tests), so every request reaches the store.
class ConcurrencyTest : public ServerTest {
 protected:
  [[nodiscard]] ServerOptions server_options() const override {
    ServerOptions options;
    options.config_toml = "[limits]\nuserRequestsPerSecond = 0\n";
    return options;
  }
};

TEST_F(ConcurrencyTest, ParallelUploadsOfOneUserEachBumpTheNonceOnce) {
  const std::string user = "concurrent-user";
  ItemFactory factory(801);
  ApiClient setup(server().port(), mint_token(user));
  const std::string pwd_hash = factory.uuid();
  ASSERT_TRUE(is_ok(setup.flush({}, pwd_hash, factory.lock(kBaseTimestamp))));
  const std::int64_t start_nonce = setup.nonce();
  const int uploads_per_thread =
      iterations_for_store_under_test(kUploadsPerThreadOnTheEmbeddedStore);

  // Items are made up front so the worker threads share no generator.
  std::vector<std::vector<Item>> work(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    work[t] = factory.items("Wallet", "thread-" + std::to_string(t), uploads_per_thread);
  }

  std::mutex mutex;
  std::vector<std::int64_t> nonces;
  std::vector<std::string> failures;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      try {
        ApiClient device(server().port(), mint_token(user));  // one connection per thread
        for (const Item& item : work[t]) {
          ApiResponse response = device.upload({item}, pwd_hash);
          std::lock_guard lock(mutex);
          if (!is_ok(response) || get_int(response.data, "created") != 1) {
            failures.push_back(response.describe());
          } else {
            nonces.push_back(get_int(response.data, "nonce"));
          }
        }
      } catch (const std::exception& error) {
        std::lock_guard lock(mutex);
        failures.emplace_back(error.what());
      }
    });
  }
  for (auto& thread : threads) thread.join();

  const int total = kThreads * uploads_per_thread;
  ASSERT_TRUE(failures.empty()) << failures.size() << " failed; first: " << failures.front();
  // Every upload won, so each committed exactly one increment: nonces are distinct
  // and cover start+1 … start+total.
  std::set<std::int64_t> distinct(nonces.begin(), nonces.end());
  EXPECT_EQ(distinct.size(), static_cast<std::size_t>(total));
  EXPECT_EQ(*distinct.begin(), start_nonce + 1);
  EXPECT_EQ(*distinct.rbegin(), start_nonce + total);
  EXPECT_EQ(setup.nonce(), start_nonce + total);

  std::vector<Item> expected;
  for (const auto& items : work) expected.insert(expected.end(), items.begin(), items.end());
  EXPECT_EQ(setup.download_all(pwd_hash), as_stored_sorted(expected));
}

TEST_F(ConcurrencyTest, ReadersNeverObserveAHalfFlushedSet) {
  const std::string user = "concurrent-flush";
  ItemFactory factory(802);
  ApiClient writer(server().port(), mint_token(user));
  const std::string pwd_hash = factory.uuid();
  const std::vector<Item> set_a = factory.items("Wallet", "set-a", 40);
  const std::vector<Item> set_b = factory.items("Account", "set-b", 40);
  const Item lock = factory.lock(kBaseTimestamp);
  ASSERT_TRUE(is_ok(writer.flush(set_a, pwd_hash, lock)));
  const std::vector<Item> expected_a = as_stored_sorted(set_a);
  const std::vector<Item> expected_b = as_stored_sorted(set_b);

  std::atomic<bool> done = false;
  std::atomic<int> observations = 0;
  std::vector<std::string> violations;
  std::thread reader([&] {
    try {
      ApiClient device(server().port(), mint_token(user));
      while (!done) {
        const std::vector<Item> seen = device.download_all(pwd_hash);
        ++observations;
        if (seen != expected_a && seen != expected_b) {
          violations.push_back("a download saw " + std::to_string(seen.size()) +
                               " items, neither the old nor the new set");
        }
      }
    } catch (const std::exception& error) {
      violations.emplace_back(error.what());
    }
  });
  const int flushes = iterations_for_store_under_test(kFlushesOnTheEmbeddedStore);
  for (int i = 0; i < flushes; ++i) {
    ApiResponse flush = writer.flush(i % 2 == 0 ? set_b : set_a, pwd_hash, lock);
    EXPECT_TRUE(is_ok(flush));
  }
  done = true;
  reader.join();
  EXPECT_TRUE(violations.empty()) << violations.front();
  EXPECT_GT(observations.load(), 0);
  EXPECT_EQ(writer.nonce(), 1 + flushes);
}

}  // namespace
}  // namespace primesync::e2e
