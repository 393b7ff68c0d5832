// The server publishes its notifications to Kafka, end to end (PROTOCOL.md §5): the
// real primesync-server on the embedded store, with [sync.adapters.kafka] on the test
// broker of tools/testenv and a fresh topic per test.
//   (a) A flush and an upload of device A reach the topic as §5 messages, key = the
//       user id, value = the JSON message, in commit order.
//   (b) A broker outage (tools/testenv/ctl kafka stop): writes of two users keep
//       succeeding, /readyz stays 200 and reports `kafka: down`, the outbox holds
//       the notifications (/metrics); once the broker is back (ctl kafka start)
//       every notification arrives, in order per user with no gap (at least once:
//       duplicates allowed), and the outbox drains. TearDown restarts the broker if
//       a test left it stopped.
// Skips loudly without PRIMESYNC_TEST_KAFKA_BROKERS. Runs in the ctest entry
// e2e_kafka_delivery (integration, RUN_SERIAL: it stops the shared broker).
#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "client_flows.hpp"
#include "server_metrics.hpp"
#include "server_process.hpp"
#include "testenv/ctl.hpp"
#include "testenv/kafka_client.hpp"
#include "unit/support/decoded_message.hpp"

namespace primesync::e2e {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
using testenv::CtlResult;
using testenv::run_testenv_ctl;
using testenv::unique_suffix;

constexpr int kPartitions = 3;
// The server's settings in this test, low so that an outage is noticed and healed
// fast: one delivery attempt gives up after kDeliveryTimeoutMs (the smallest value
// allowed), the outbox retries after 100 ms, doubling up to 1 s.
constexpr int kDeliveryTimeoutMs = 1000;
constexpr int kRetryInitialMs = 100;
constexpr int kRetryMaxMs = 1000;
// Writes of each of the two users while the broker is down.
constexpr int kUploadsPerUserDuringOutage = 4;
// Deadlines of the waits (conditions, never timings).
constexpr auto kConsumeDeadline = 60s;
constexpr auto kConditionDeadline = 60s;  // /readyz and /metrics following the broker

int to_ms(Clock::duration duration) {
  return static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(duration).count());
}

// ---------------------------------------------------------------- the topic

// One message of the topic, its value read as a §5 notification: the fields a
// consumer reads (server_data_keys sorted here), read with the strict readers of
// client_flows.hpp, so that each item of serverData must be a whole §3 item.
struct Published : testing::DecodedMessage {
  std::string key;
  std::int32_t partition = 0;
  std::string value;
  std::string parse_error;  // non-empty when the value is not the expected JSON
};

Published parse_published(testenv::KafkaMessage message) {
  Published out;
  out.key = std::move(message.key);
  out.partition = message.partition;
  out.value = std::move(message.value);
  try {
    simdjson::dom::parser parser;
    const simdjson::dom::element root = parser.parse(out.value);
    out.msg_id = get_string(root, "msgId");
    out.type = get_string(root, "type");
    out.user_id = get_string(root, "userId");
    simdjson::dom::array devices;
    if (get_field(root, "devices").get_array().get(devices) != simdjson::SUCCESS) {
      throw std::runtime_error("devices: not an array");
    }
    for (simdjson::dom::element device : devices) {
      out.devices.emplace_back(std::string_view(device.get_string()));
    }
    const simdjson::dom::element data = get_field(root, "data");
    if (data["nonce"].error() == simdjson::SUCCESS) out.nonce = get_int(data, "nonce");
    out.pwd_hash = get_string(data, "pwdHash");
    if (data["lock"].error() == simdjson::SUCCESS) {
      out.lock_key = get_string(get_field(data, "lock"), "key");
    }
    if (data["serverData"].error() == simdjson::SUCCESS) {
      std::vector<std::string> keys = keys_of(get_items(data, "serverData"));
      std::sort(keys.begin(), keys.end());
      out.server_data_keys = std::move(keys);
    }
  } catch (const std::exception& error) {
    out.parse_error = error.what();
  }
  return out;
}

// Reads every partition of the topic from its beginning until `done` says so or
// the deadline passes.
std::vector<Published> read_topic(const std::string& brokers, const std::string& topic,
                                  const std::function<bool(const std::vector<Published>&)>& done) {
  std::vector<Published> read;
  std::vector<testenv::KafkaMessage> messages =
      testenv::read_topic(brokers, topic, kPartitions, kConsumeDeadline,
                          [&](const std::vector<testenv::KafkaMessage>& so_far) {
                            while (read.size() < so_far.size())
                              read.push_back(parse_published(so_far[read.size()]));
                            return done(read);
                          });
  while (read.size() < messages.size()) {
    read.push_back(parse_published(std::move(messages[read.size()])));
  }
  return read;
}

// What a write should have published: its type, the nonce it answered and the keys
// of the items it carries (sorted; the winners of an upload, none for a flush).
struct Expected {
  std::string type;
  std::int64_t nonce = 0;
  std::vector<std::string> keys;
};

// The first time each message (msgId) was read, per user, in the order read: at
// least once allows a message again after a retry, never out of order.
std::map<std::string, std::vector<const Published*>> first_reads_per_user(
    const std::vector<Published>& read) {
  std::map<std::string, std::vector<const Published*>> per_user;
  std::set<std::string> seen;
  for (const Published& message : read) {
    if (!message.parse_error.empty() || !seen.insert(message.msg_id).second) continue;
    per_user[message.key].push_back(&message);
  }
  return per_user;
}

// Every user's expected messages have been read at least once.
auto has_all(const std::map<std::string, std::vector<Expected>>& expected) {
  return [&expected](const std::vector<Published>& read) {
    const auto per_user = first_reads_per_user(read);
    for (const auto& [user, messages] : expected) {
      const auto found = per_user.find(user);
      if (found == per_user.end() || found->second.size() < messages.size()) return false;
    }
    return true;
  };
}

// ---------------------------------------------------------------- /metrics and /readyz

constexpr const char* kOutboxPending = "primesync_outbox_pending";
constexpr const char* kDeliveryFailures = "primesync_notification_failures_total";
constexpr const char* kDelivered = "primesync_notifications_delivered_total";
constexpr const char* kKafkaUp = "primesync_component_up{component=\"kafka\"}";

// ---------------------------------------------------------------- the fixture

class KafkaDeliveryTest : public ServerTest {
 protected:
  void SetUp() override {
    PRIMESYNC_E2E_REQUIRE_BINARY();
    brokers_ = testenv::test_kafka_brokers("the server's Kafka delivery end to end");
    if (brokers_.empty()) {
      GTEST_SKIP() << "*** PRIMESYNC_TEST_KAFKA_BROKERS not set: Kafka e2e test NOT RUN "
                      "(eval \"$(tools/testenv/up)\", see docs/testing.md) ***";
    }
    topic_ = "primesync-e2e-" + unique_suffix();
    ASSERT_NO_FATAL_FAILURE(testenv::create_topic(brokers_, topic_, kPartitions));
    topic_created_ = true;
    ServerTest::SetUp();
  }

  void TearDown() override {
    // A failed test must not leave the shared broker down.
    if (broker_stopped_) start_broker();
    ServerTest::TearDown();
    server_.reset();  // before the topic goes: nothing may publish to it again
    if (topic_created_) testenv::delete_topic(brokers_, topic_);
  }

  [[nodiscard]] ServerOptions server_options() const override {
    ServerOptions options;
    std::string& toml = options.config_toml;
    toml += "[sync.adapters.kafka]\n";
    toml += "brokers = \"" + brokers_ + "\"\n";
    toml += "topic = \"" + topic_ + "\"\n";
    toml += "deliveryTimeoutMs = " + std::to_string(kDeliveryTimeoutMs) + "\n";
    toml += "[outbox]\n";
    toml += "retryInitialMs = " + std::to_string(kRetryInitialMs) + "\n";
    toml += "retryMaxMs = " + std::to_string(kRetryMaxMs) + "\n";
    return options;
  }

  // Only the broker this run's variable names may be stopped.
  [[nodiscard]] bool controls_the_broker() {
    const CtlResult controlled = run_testenv_ctl("kafka", "brokers");
    if (controlled.exit_status == 0 && controlled.out == brokers_ + "\n") return true;
    std::cerr << "*** kafka-ctl controls '" << controlled.out << "' (exit "
              << controlled.exit_status << "), not PRIMESYNC_TEST_KAFKA_BROKERS '" << brokers_
              << "': outage test NOT RUN ***\n";
    return false;
  }

  void stop_broker() {
    broker_stopped_ = true;
    ASSERT_EQ(run_testenv_ctl("kafka", "stop").exit_status, 0) << "kafka-ctl stop failed";
  }

  void start_broker() {
    const CtlResult started = run_testenv_ctl("kafka", "start");
    EXPECT_EQ(started.exit_status, 0) << "kafka-ctl start failed: the broker may be down";
    broker_stopped_ = started.exit_status != 0;
  }

  // GET /readyz: its status and body.
  HttpResponse readyz() {
    HttpClient http("127.0.0.1", server().port());
    return http.request("GET", "/readyz");
  }

  // Checks what was read against what each user's writes should have published:
  // key = user id, the right user, one partition per user, and per user the first
  // reads in commit order with nothing missing and nothing extra.
  void expect_published(const std::vector<Published>& read,
                        const std::map<std::string, std::vector<Expected>>& expected,
                        const std::map<std::string, std::string>& pwd_hash_of) {
    std::map<std::string, std::int32_t> partition_of;
    for (const Published& message : read) {
      ASSERT_TRUE(message.parse_error.empty())
          << "not a §5 message (" << message.parse_error << "): " << message.value;
      EXPECT_EQ(message.key, message.user_id) << "key = the user id: " << message.value;
      const auto [partition, first] = partition_of.emplace(message.key, message.partition);
      EXPECT_TRUE(first || partition->second == message.partition)
          << message.key << " is in partitions " << partition->second << " and "
          << message.partition;
    }
    const auto per_user = first_reads_per_user(read);
    EXPECT_EQ(per_user.size(), expected.size()) << "messages of other users";
    for (const auto& [user, messages] : expected) {
      const auto found = per_user.find(user);
      ASSERT_NE(found, per_user.end()) << "nothing published for " << user;
      const std::vector<const Published*>& got = found->second;
      EXPECT_EQ(got.size(), messages.size()) << user << ": a gap or an extra message";
      for (std::size_t i = 0; i < std::min(got.size(), messages.size()); ++i) {
        const Published& message = *got[i];
        const Expected& want = messages[i];
        SCOPED_TRACE(user + " message " + std::to_string(i) + ": " + message.value.substr(0, 300));
        EXPECT_EQ(message.type, want.type);
        EXPECT_EQ(message.nonce, std::optional<std::int64_t>(want.nonce));
        EXPECT_EQ(message.pwd_hash, pwd_hash_of.at(user));
        EXPECT_EQ(message.server_data_keys, std::optional<std::vector<std::string>>(want.keys));
        EXPECT_FALSE(message.msg_id.empty());
      }
    }
  }

  std::string brokers_;
  std::string topic_;
  bool topic_created_ = false;
  bool broker_stopped_ = false;
  ItemFactory factory_{1301};
};

// One user's devices: A writes, B is the other device the notifications are for.
struct User {
  std::string id;
  std::string pwd_hash;
  ApiClient device_a;
  ApiClient device_b;
  std::string device_b_id;
  std::vector<Expected> expected;  // what its writes published, in commit order
};

std::unique_ptr<User> make_user(std::uint16_t port, const std::string& id, ItemFactory& factory) {
  const std::string device_a_id = "device-a-" + factory.uuid();
  const std::string device_b_id = "device-b-" + factory.uuid();
  return std::make_unique<User>(User{id,
                                     factory.uuid(),
                                     ApiClient(port, mint_token(id), device_a_id),
                                     ApiClient(port, mint_token(id), device_b_id),
                                     device_b_id,
                                     {}});
}

std::vector<std::string> sorted_keys(const std::vector<Item>& items) {
  std::vector<std::string> keys = keys_of(items);
  std::sort(keys.begin(), keys.end());
  return keys;
}

// Device B registers (a check records the device), then A enables sync: a flush.
void enable_sync(User& user, ItemFactory& factory) {
  ASSERT_TRUE(is_ok(user.device_b.check({}, "")));
  const std::vector<Item> items = factory.items("Wallet", user.id + "-flushed", 2);
  const ApiResponse flushed =
      user.device_a.flush(items, user.pwd_hash, factory.lock(kBaseTimestamp));
  ASSERT_TRUE(is_ok(flushed)) << flushed.describe();
  user.expected.push_back(Expected{"CONFIG_FLUSH", get_int(flushed.data, "nonce"), {}});
}

// Device A uploads new items; all of them win.
void upload(User& user, const std::vector<Item>& items) {
  const ApiResponse uploaded = user.device_a.upload(items, user.pwd_hash);
  ASSERT_TRUE(is_ok(uploaded)) << uploaded.describe();
  ASSERT_EQ(get_int(uploaded.data, "created") + get_int(uploaded.data, "updated"),
            static_cast<std::int64_t>(items.size()));
  user.expected.push_back(
      Expected{"CONFIG_CHANGE", get_int(uploaded.data, "nonce"), sorted_keys(items)});
}

std::map<std::string, std::vector<Expected>> expected_of(const std::vector<User*>& users) {
  std::map<std::string, std::vector<Expected>> expected;
  for (const User* user : users) expected[user->id] = user->expected;
  return expected;
}

std::map<std::string, std::string> pwd_hashes_of(const std::vector<User*>& users) {
  std::map<std::string, std::string> pwd_hashes;
  for (const User* user : users) pwd_hashes[user->id] = user->pwd_hash;
  return pwd_hashes;
}

TEST_F(KafkaDeliveryTest, FlushAndUploadArePublishedKeyedByUserInCommitOrder) {
  auto user = make_user(server().port(), "kafka-e2e-" + unique_suffix(), factory_);
  ASSERT_NO_FATAL_FAILURE(enable_sync(*user, factory_));
  const std::vector<Item> items = factory_.items("Account", "uploaded", 3, kBaseTimestamp + 10000);
  ASSERT_NO_FATAL_FAILURE(upload(*user, items));

  const std::map<std::string, std::vector<Expected>> expected = expected_of({user.get()});
  const std::vector<Published> read = read_topic(brokers_, topic_, has_all(expected));
  ASSERT_EQ(read.size(), 2U) << "the flush and the upload, each once";
  expect_published(read, expected, pwd_hashes_of({user.get()}));

  // The rest of §5 for these two.
  const Published& flush = read[0];
  const Published& change = read[1];
  EXPECT_EQ(flush.user_id, user->id);
  EXPECT_EQ(flush.devices, std::vector<std::string>{user->device_b_id}) << "not the caller";
  EXPECT_EQ(flush.nonce, std::optional<std::int64_t>(1));
  EXPECT_EQ(flush.lock_key, std::optional<std::string>(lock_item_key()));
  EXPECT_EQ(change.devices, std::vector<std::string>{user->device_b_id});
  EXPECT_EQ(change.nonce, std::optional<std::int64_t>(2));
  EXPECT_EQ(change.lock_key, std::nullopt);
  EXPECT_NE(flush.msg_id, change.msg_id);

  EXPECT_TRUE(eventually(kConditionDeadline, [&] {
    return metric(scrape_metrics(server().port()), kOutboxPending) == 0;
  }));
}

TEST_F(KafkaDeliveryTest, BrokerOutageFailsNoWriteAndEveryNotificationArrivesAfterIt) {
  if (!controls_the_broker()) {
    GTEST_SKIP() << "tools/testenv/kafka-ctl does not control PRIMESYNC_TEST_KAFKA_BROKERS";
  }
  const std::uint16_t port = server().port();
  auto first = make_user(port, "kafka-e2e-1-" + unique_suffix(), factory_);
  auto second = make_user(port, "kafka-e2e-2-" + unique_suffix(), factory_);
  const std::vector<User*> users = {first.get(), second.get()};

  // Before the outage: both users sync, and their notifications are through.
  for (User* user : users) ASSERT_NO_FATAL_FAILURE(enable_sync(*user, factory_));
  ASSERT_TRUE(eventually(kConditionDeadline, [&] {
    const auto samples = scrape_metrics(port);
    return metric(samples, kDelivered) == 2 && metric(samples, kOutboxPending) == 0 &&
           metric(samples, kKafkaUp) == 1;
  })) << "the notifications before the outage were not delivered";
  const double failures_before = metric(scrape_metrics(port), kDeliveryFailures);

  ASSERT_NO_FATAL_FAILURE(stop_broker());
  const auto stopped_at = Clock::now();

  // Every write still succeeds: the notifications wait in the outbox.
  int writes = 0;
  for (int round = 0; round < kUploadsPerUserDuringOutage; ++round) {
    for (User* user : users) {
      const std::vector<Item> items = factory_.items(
          round % 2 == 0 ? "Account" : "AddressBook", user->id + "-outage-" + std::to_string(round),
          1 + round % 2, kBaseTimestamp + 100000 * (round + 1));
      ASSERT_NO_FATAL_FAILURE(upload(*user, items));
      ++writes;
    }
  }
  // And a flush (its own message type) in the middle of the second user's uploads.
  {
    User& user = *second;
    const ApiResponse flushed =
        user.device_a.flush(factory_.items("Wallet", user.id + "-reflushed", 1), user.pwd_hash,
                            factory_.lock(kBaseTimestamp + 1));
    ASSERT_TRUE(is_ok(flushed)) << flushed.describe();
    user.expected.push_back(Expected{"CONFIG_FLUSH", get_int(flushed.data, "nonce"), {}});
    ++writes;
    ASSERT_NO_FATAL_FAILURE(upload(
        user, factory_.items("Account", user.id + "-after-flush", 1, kBaseTimestamp + 900000)));
    ++writes;
  }

  // /readyz stays 200 (Kafka is not required) and says kafka: down.
  bool always_ready = true;
  ASSERT_TRUE(eventually(kConditionDeadline,
                         [&] {
                           const HttpResponse ready = readyz();
                           always_ready = always_ready && ready.status == 200;
                           return ready.body.find("kafka: down\n") != std::string::npos;
                         }))
      << "/readyz never reported kafka: down: " << readyz().body;
  EXPECT_TRUE(always_ready) << "/readyz answered other than 200 during the outage";
  EXPECT_EQ(readyz().status, 200);

  // The outbox holds every notification of the outage; deliveries keep failing.
  double held = 0;
  ASSERT_TRUE(eventually(kConditionDeadline,
                         [&] {
                           const auto samples = scrape_metrics(port);
                           held = metric(samples, kOutboxPending);
                           return held == writes &&
                                  metric(samples, kDeliveryFailures) > failures_before &&
                                  metric(samples, kKafkaUp) == 0;
                         }))
      << "the outbox holds " << held << " of " << writes << " notifications";
  const double failures_during = metric(scrape_metrics(port), kDeliveryFailures) - failures_before;
  EXPECT_EQ(metric(scrape_metrics(port), kDelivered), 2) << "nothing delivered while down";

  ASSERT_NO_FATAL_FAILURE(start_broker());
  ASSERT_FALSE(broker_stopped_);
  const auto started_at = Clock::now();

  // The outbox drains: every notification delivered, none pending.
  ASSERT_TRUE(eventually(kConditionDeadline, [&] {
    const auto samples = scrape_metrics(port);
    return metric(samples, kOutboxPending) == 0 && metric(samples, kDelivered) == 2 + writes;
  })) << "the outbox did not drain after the broker came back";
  const auto drained_at = Clock::now();
  EXPECT_TRUE(eventually(kConditionDeadline,
                         [&] { return readyz().body.find("kafka: up\n") != std::string::npos; }));

  std::fprintf(stderr,
               "[kafka outage] the outbox held %d notifications of %d writes (2 users) while the "
               "broker was down; %d failed deliveries retried; broker down for %d ms; the outbox "
               "drained %d ms after kafka-ctl start returned\n",
               static_cast<int>(held), writes, static_cast<int>(failures_during),
               to_ms(started_at - stopped_at), to_ms(drained_at - started_at));

  // Every notification of every write is on the topic, in order per user.
  const auto expected = expected_of(users);
  const std::vector<Published> read = read_topic(brokers_, topic_, has_all(expected));
  expect_published(read, expected, pwd_hashes_of(users));
  std::size_t total = 0;
  for (const auto& [user, messages] : expected) total += messages.size();
  std::fprintf(stderr, "[kafka outage] %zu messages read for %zu notifications (%zu duplicates)\n",
               read.size(), total, read.size() - std::min(read.size(), total));
}

}  // namespace
}  // namespace primesync::e2e
