// primesync::KafkaNotifier against the real Kafka broker of tools/testenv: entries
// reach the topic with key = user id and value = message, in order per user; a
// broker outage (tools/testenv/kafka-ctl stops and starts the broker) reports
// entries undelivered and the same entries go through once it is back; an entry
// refused by the producer holds back its user's later entries; a message of exactly
// limits.maxMessageBytes goes through. Without the broker: an unreachable one neither
// blocks construction nor deliver(), ready() never waits for a broker that does not
// answer, and a bad setting names its config key. Each test uses a fresh topic, read
// back from the beginning of every partition.
#include "notify/kafka/kafka_notifier.hpp"

#include <librdkafka/rdkafka.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <functional>
#include <future>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testenv/ctl.hpp"
#include "testenv/kafka_client.hpp"

namespace primesync {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using testenv::CtlResult;
using testenv::make_conf;
using testenv::run_testenv_ctl;
using testenv::unique_suffix;
// A message read back from the topic.
using Consumed = testenv::KafkaMessage;

constexpr int kPartitions = 3;
constexpr int kUsers = 7;
constexpr int kEntriesPerUser = 20;
// The notifiers' delivery timeout: short, so a call during an outage ends soon.
constexpr std::chrono::milliseconds kDeliveryTimeout{5000};
// deliver() must return within its delivery timeout plus its own margin; this
// bound adds room for a loaded machine, it only catches a call that hangs.
constexpr auto kCallReturnsWithin = kDeliveryTimeout + 15s;
constexpr auto kReadyReturnsWithin = 5s;
constexpr auto kAdminTimeout = 30s;
constexpr auto kConsumeDeadline = 90s;
constexpr auto kBrokerChangeDeadline = 120s;       // ready() following a stop or a start
constexpr auto kReadyRecheck = 200ms;              // between ready() calls while waiting
constexpr auto kRedeliverDeadline = 120s;          // the retries after the outage
constexpr std::size_t kTooLargeBytes = 2U << 20U;  // over librdkafka's message.max.bytes
// The largest message the notifiers must take: limits.maxMessageBytes by default.
constexpr std::size_t kMaxMessageBytes = LimitsConfig{}.max_message_bytes;
// One metadata request of the old, blocking ready(): no ready() call may take this long.
constexpr auto kMetadataRequestTime = 450ms;
constexpr auto kReadyCallsFor = 3s;  // ready() called in a loop: three probes of its thread
constexpr std::size_t kErrorTextBytes = 512;

int to_ms(Clock::duration duration) {
  return static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(duration).count());
}

// Runs `call` and fails the test when it has not returned within `bound` (it is
// still waited for: the test then fails instead of leaving a thread behind).
template <typename Call>
auto returns_within(Clock::duration bound, const char* what, Call call) {
  auto result = std::async(std::launch::async, std::move(call));
  if (result.wait_for(bound) != std::future_status::ready) {
    ADD_FAILURE() << what << " did not return within " << to_ms(bound) << " ms";
  }
  return result.get();
}

// ---------------------------------------------------------------- entries

// One user's messages as the outbox holds them: PROTOCOL.md §5 JSON, each unique.
std::vector<OutboxEntry> make_entries(const std::string& run, int users, int per_user,
                                      std::uint64_t first_sequence = 1) {
  std::vector<OutboxEntry> entries;
  std::uint64_t sequence = first_sequence;
  for (int n = 0; n < per_user; ++n) {
    for (int u = 0; u < users; ++u) {
      const std::string user = "user-" + std::to_string(u);
      const std::string id = run + "-" + std::to_string(sequence);
      entries.push_back(OutboxEntry{
          sequence, user,
          R"({"msgId":")" + id + R"(","type":"CONFIG_CHANGE","userId":")" + user +
              R"(","devices":["laptop"],"data":{"nonce":)" + std::to_string(n + 1) +
              R"(,"pwdHash":"7c9e6679","serverData":[{"key":"k)" + std::to_string(n) +
              R"(","dataType":"Wallet","data":"a1b2","dataTimestamp":1700000000000}]}})",
          0});
      ++sequence;
    }
  }
  return entries;
}

std::vector<bool> deliver_within_bound(KafkaNotifier& notifier,
                                       const std::vector<OutboxEntry>& entries) {
  return returns_within(kCallReturnsWithin, "deliver()", [&] {
    std::vector<bool> delivered(entries.size(), false);
    notifier.deliver(entries, delivered);
    return delivered;
  });
}

std::size_t count_true(const std::vector<bool>& flags) {
  return static_cast<std::size_t>(std::count(flags.begin(), flags.end(), true));
}

// ---------------------------------------------------------------- the topic

// The number of messages in the topic (sum of the partitions' high watermarks).
std::int64_t messages_in_topic(const std::string& brokers, const std::string& topic) {
  std::array<char, kErrorTextBytes> error{};
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, make_conf(brokers), error.data(), error.size());
  if (rk == nullptr) {
    ADD_FAILURE() << error.data();
    return -1;
  }
  std::int64_t total = 0;
  for (int partition = 0; partition < kPartitions; ++partition) {
    std::int64_t low = 0;
    std::int64_t high = 0;
    const rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
        rk, topic.c_str(), partition, &low, &high, to_ms(kAdminTimeout));
    EXPECT_EQ(err, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2str(err);
    total += high;
  }
  rd_kafka_destroy(rk);
  return total;
}

// Reads the topic from the start until `done` says so or the deadline passes.
std::vector<Consumed> consume(const std::string& brokers, const std::string& topic,
                              const std::function<bool(const std::vector<Consumed>&)>& done) {
  return testenv::read_topic(brokers, topic, kPartitions, kConsumeDeadline, done);
}

// Stops once every value of `expected` was read at least once.
auto all_seen(const std::vector<OutboxEntry>& expected) {
  std::set<std::string> values;
  for (const OutboxEntry& entry : expected) values.insert(entry.message);
  return [values](const std::vector<Consumed>& consumed) {
    std::set<std::string> seen;
    for (const Consumed& message : consumed) {
      if (values.contains(message.value)) seen.insert(message.value);
    }
    return seen.size() == values.size();
  };
}

// Checks what was read against the entries delivered (in sequence order): each
// message carries its user's id as key and exactly its message as value, each
// user's messages are in one partition, and each user's messages come in order.
// With `duplicates_allowed` (at least once, after retries) a message may come
// again, but the first time each one is read follows the order.
void expect_in_order_per_user(const std::vector<OutboxEntry>& entries,
                              const std::vector<Consumed>& consumed, bool duplicates_allowed) {
  std::map<std::string, const OutboxEntry*> by_value;
  std::map<std::string, std::vector<std::string>> expected;  // user -> messages in order
  for (const OutboxEntry& entry : entries) {
    by_value[entry.message] = &entry;
    expected[entry.user_id].push_back(entry.message);
  }
  std::map<std::string, std::vector<std::string>> read;  // user -> first reads in order
  std::map<std::string, std::set<std::string>> seen;
  std::map<std::string, std::int32_t> partition_of;
  std::size_t duplicates = 0;
  for (const Consumed& message : consumed) {
    const auto entry = by_value.find(message.value);
    ASSERT_NE(entry, by_value.end()) << "a message that was not sent: " << message.value;
    EXPECT_EQ(message.key, entry->second->user_id) << message.value;
    const auto [partition, first] = partition_of.emplace(message.key, message.partition);
    EXPECT_TRUE(first || partition->second == message.partition)
        << message.key << " is in partitions " << partition->second << " and " << message.partition;
    if (!seen[message.key].insert(message.value).second) {
      ++duplicates;
      continue;
    }
    read[message.key].push_back(message.value);
  }
  if (!duplicates_allowed) {
    EXPECT_EQ(duplicates, 0U);
  }
  EXPECT_EQ(read, expected);
  std::set<std::int32_t> partitions;
  for (const auto& [user, partition] : partition_of) partitions.insert(partition);
  EXPECT_GT(partitions.size(), 1U) << "the users should spread over the partitions";
}

// Calls ready() until it answers `want` or the deadline passes.
bool ready_becomes(KafkaNotifier& notifier, bool want) {
  const auto deadline = Clock::now() + kBrokerChangeDeadline;
  while (Clock::now() < deadline) {
    if (returns_within(kReadyReturnsWithin, "ready()", [&] { return notifier.ready(); }) == want) {
      return true;
    }
    poll(nullptr, 0, to_ms(kReadyRecheck));
  }
  return false;
}

// ---------------------------------------------------------------- tests with the broker

class KafkaNotifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    brokers_ = testenv::test_kafka_brokers("this Kafka notifier test against a broker");
    if (brokers_.empty()) {
      GTEST_SKIP() << "PRIMESYNC_TEST_KAFKA_BROKERS not set (see docs/testing.md)";
    }
    run_ = unique_suffix();
    topic_ = "primesync-notifier-" + run_;
    ASSERT_NO_FATAL_FAILURE(testenv::create_topic(brokers_, topic_, kPartitions));
    topic_created_ = true;
  }

  void TearDown() override {
    // A failed test must not leave the shared broker down.
    if (broker_stopped_) {
      const CtlResult started = run_testenv_ctl("kafka", "start");
      EXPECT_EQ(started.exit_status, 0) << "kafka-ctl start failed: the broker may be down";
    }
    if (topic_created_) testenv::delete_topic(brokers_, topic_);
  }

  [[nodiscard]] KafkaConfig config() const {
    KafkaConfig config;
    config.brokers = brokers_;
    config.topic = topic_;
    config.delivery_timeout = kDeliveryTimeout;
    config.client_id = "primesync-notifier-test";
    return config;
  }

  std::string brokers_;
  std::string run_;
  std::string topic_;
  bool topic_created_ = false;
  bool broker_stopped_ = false;
};

TEST_F(KafkaNotifierTest, DeliversEveryEntryKeyedByUserInOrderPerUser) {
  KafkaNotifier notifier(config(), kMaxMessageBytes);
  EXPECT_EQ(notifier.name(), "kafka");
  const std::vector<OutboxEntry> entries = make_entries(run_, kUsers, kEntriesPerUser);

  const std::vector<bool> delivered = deliver_within_bound(notifier, entries);
  EXPECT_EQ(count_true(delivered), entries.size());
  const KafkaNotifier::Stats stats = notifier.stats();
  EXPECT_EQ(stats.produced, entries.size());
  EXPECT_EQ(stats.delivered, entries.size());
  EXPECT_EQ(stats.failed, 0U);
  EXPECT_EQ(stats.queue_full, 0U);
  EXPECT_EQ(stats.produce_errors, 0U);
  EXPECT_EQ(stats.out_queue, 0U);
  EXPECT_TRUE(ready_becomes(notifier, true));

  const std::vector<Consumed> consumed = consume(brokers_, topic_, all_seen(entries));
  expect_in_order_per_user(entries, consumed, /*duplicates_allowed=*/false);
  EXPECT_EQ(messages_in_topic(brokers_, topic_), static_cast<std::int64_t>(entries.size()))
      << "the idempotent producer writes each message once";
}

TEST_F(KafkaNotifierTest, RefusedEntryHoldsBackItsUsersLaterEntries) {
  KafkaNotifier notifier(config(), kMaxMessageBytes);
  std::vector<OutboxEntry> entries = make_entries(run_, kUsers, kEntriesPerUser);
  // user-0's second entry is too large for the producer: it and user-0's later
  // entries are not delivered, every other user's are.
  const std::size_t refused = kUsers;
  ASSERT_EQ(entries[refused].user_id, "user-0");
  entries[refused].message.append(kTooLargeBytes, ' ');

  const std::vector<bool> delivered = deliver_within_bound(notifier, entries);
  std::vector<OutboxEntry> expected_in_topic;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const bool held_back = entries[i].user_id == "user-0" && i >= refused;
    EXPECT_EQ(delivered[i], !held_back) << "entry " << i << " of " << entries[i].user_id;
    if (!held_back) expected_in_topic.push_back(entries[i]);
  }
  EXPECT_EQ(notifier.stats().produce_errors, 1U);
  EXPECT_EQ(notifier.stats().produced, expected_in_topic.size())
      << "user-0's later entries are not even sent";

  // Nothing else is in the topic: the high watermarks count every message written.
  EXPECT_EQ(messages_in_topic(brokers_, topic_),
            static_cast<std::int64_t>(expected_in_topic.size()));
  const std::vector<Consumed> consumed = consume(brokers_, topic_, all_seen(expected_in_topic));
  expect_in_order_per_user(expected_in_topic, consumed, /*duplicates_allowed=*/false);
}

// The sync service splits a change into messages of at most limits.maxMessageBytes:
// one of exactly that size must be accepted by the producer and stored by the
// broker. Without compression, so the broker sees the whole record (lz4 would
// shrink it below any limit).
TEST_F(KafkaNotifierTest, MessageOfExactlyTheMaximumSizeIsDelivered) {
  KafkaConfig settings = config();
  settings.compression = "none";
  KafkaNotifier notifier(settings, kMaxMessageBytes);
  // user-0's first message padded to exactly kMaxMessageBytes, then a small one.
  std::vector<OutboxEntry> entries = make_entries(run_, 1, 2);
  std::string& large = entries[0].message;
  const std::string data_field = R"("data":")";
  const std::size_t data_at = large.find(data_field) + data_field.size();
  std::string padding;
  for (std::size_t i = 0; large.size() + padding.size() < kMaxMessageBytes; ++i) {
    padding.push_back("0123456789abcdef"[(i * 7919U) % 16U]);  // hex, like ciphertext
  }
  large.insert(data_at, padding);
  ASSERT_EQ(large.size(), kMaxMessageBytes);

  const std::vector<bool> delivered = deliver_within_bound(notifier, entries);
  EXPECT_EQ(notifier.stats().produce_errors, 0U) << "the producer refused the message";
  EXPECT_EQ(notifier.stats().failed, 0U)
      << "the broker refused a record of " << kMaxMessageBytes
      << " bytes: its message.max.bytes is too small (tools/testenv/up sets it; an "
         "environment started before needs kafka-ctl stop/start with the new setting)";
  ASSERT_EQ(count_true(delivered), entries.size());

  const std::vector<Consumed> consumed = consume(brokers_, topic_, all_seen(entries));
  ASSERT_EQ(consumed.size(), entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    EXPECT_EQ(consumed[i].key, entries[i].user_id);
    EXPECT_EQ(consumed[i].value.size(), entries[i].message.size());
    EXPECT_TRUE(consumed[i].value == entries[i].message) << "message " << i << " differs";
  }
}

TEST_F(KafkaNotifierTest, BrokerOutageReportsUndeliveredAndTheSameEntriesGoThroughAfter) {
  const CtlResult controlled = run_testenv_ctl("kafka", "brokers");
  ASSERT_EQ(controlled.exit_status, 0) << "tools/testenv/kafka-ctl brokers failed";
  if (controlled.out != brokers_ + "\n") {
    std::fprintf(stderr, "\n*** SKIPPING the outage test: kafka-ctl controls %s, not %s ***\n",
                 controlled.out.c_str(), brokers_.c_str());
    GTEST_SKIP()
        << "PRIMESYNC_TEST_KAFKA_BROKERS is not the broker tools/testenv/kafka-ctl controls";
  }

  KafkaNotifier notifier(config(), kMaxMessageBytes);
  // Before the outage: connected, and a first batch goes through.
  const std::vector<OutboxEntry> before = make_entries(run_ + "-before", kUsers, 2);
  ASSERT_EQ(count_true(deliver_within_bound(notifier, before)), before.size());

  broker_stopped_ = true;
  ASSERT_EQ(run_testenv_ctl("kafka", "stop").exit_status, 0) << "kafka-ctl stop failed";
  EXPECT_TRUE(ready_becomes(notifier, false)) << "ready() still true with the broker stopped";

  const std::vector<OutboxEntry> during =
      make_entries(run_ + "-during", kUsers, kEntriesPerUser, before.size() + 1);
  const std::vector<bool> delivered_during = deliver_within_bound(notifier, during);
  EXPECT_EQ(count_true(delivered_during), 0U) << "nothing is delivered with the broker down";
  EXPECT_EQ(notifier.stats().delivered, before.size());

  ASSERT_EQ(run_testenv_ctl("kafka", "start").exit_status, 0) << "kafka-ctl start failed";
  broker_stopped_ = false;
  EXPECT_TRUE(ready_becomes(notifier, true)) << "ready() still false with the broker back";

  // The dispatcher's retry: the undelivered entries again, until all are through.
  std::vector<OutboxEntry> pending = during;
  int attempts = 0;
  const auto deadline = Clock::now() + kRedeliverDeadline;
  while (!pending.empty() && Clock::now() < deadline) {
    ++attempts;
    const std::vector<bool> delivered = deliver_within_bound(notifier, pending);
    std::vector<OutboxEntry> still_pending;
    for (std::size_t i = 0; i < pending.size(); ++i) {
      if (!delivered[i]) still_pending.push_back(pending[i]);
    }
    pending = std::move(still_pending);
  }
  EXPECT_TRUE(pending.empty()) << pending.size() << " entries still undelivered";
  std::fprintf(stderr, "[outage] the entries went through after %d attempt(s)\n", attempts);

  std::vector<OutboxEntry> all = before;
  all.insert(all.end(), during.begin(), during.end());
  const std::vector<Consumed> consumed = consume(brokers_, topic_, all_seen(all));
  expect_in_order_per_user(all, consumed, /*duplicates_allowed=*/true);
}

// ---------------------------------------------------------------- tests without a broker

// A loopback port nothing listens on.
int closed_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), size) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    throw std::runtime_error("cannot pick a loopback port");
  }
  close(fd);
  return ntohs(address.sin_port);
}

TEST(KafkaNotifierUnreachable, NeitherConstructionNorDeliveryBlocksAndNothingIsDelivered) {
  KafkaConfig config;
  config.brokers = "127.0.0.1:" + std::to_string(closed_port());
  config.topic = "primesync-notifier-unreachable";
  config.delivery_timeout = std::chrono::milliseconds{1000};

  auto notifier = returns_within(kReadyReturnsWithin, "the constructor", [&] {
    return std::make_unique<KafkaNotifier>(config, kMaxMessageBytes);
  });
  EXPECT_FALSE(returns_within(kReadyReturnsWithin, "ready()", [&] { return notifier->ready(); }));

  const std::vector<OutboxEntry> entries = make_entries(unique_suffix(), 2, 2);
  const std::vector<bool> delivered = deliver_within_bound(*notifier, entries);
  EXPECT_EQ(delivered, std::vector<bool>(entries.size(), false));
  EXPECT_EQ(notifier->stats().produced, entries.size());
  EXPECT_EQ(notifier->stats().delivered, 0U);
  EXPECT_FALSE(returns_within(kReadyReturnsWithin, "ready()", [&] { return notifier->ready(); }));
}

// A loopback port that accepts connections (the kernel completes them) and never
// answers: a broker that hangs.
class SilentBroker {
 public:
  SilentBroker() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof address;
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&address), size) != 0 ||
        listen(fd_, kBacklog) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
      throw std::runtime_error("cannot listen on a loopback port");
    }
    port_ = ntohs(address.sin_port);
  }
  ~SilentBroker() { close(fd_); }
  SilentBroker(const SilentBroker&) = delete;
  SilentBroker& operator=(const SilentBroker&) = delete;
  [[nodiscard]] int port() const { return port_; }

 private:
  static constexpr int kBacklog = 16;
  int fd_ = -1;
  int port_ = 0;
};

// /readyz and /metrics call ready() on an HTTP I/O thread: it must answer from what
// its own thread last learnt, never wait for a metadata request itself. (A bound,
// not a timing: a ready() that asks the broker takes a whole metadata timeout here.)
TEST(KafkaNotifierUnreachable, ReadyNeverWaitsForABrokerThatDoesNotAnswer) {
  const SilentBroker silent;
  KafkaConfig config;
  config.brokers = "127.0.0.1:" + std::to_string(silent.port());
  config.topic = "primesync-notifier-silent";
  config.delivery_timeout = std::chrono::milliseconds{1000};
  KafkaNotifier notifier(config, kMaxMessageBytes);

  int calls = 0;
  int ready_answers = 0;
  Clock::duration longest{};
  const auto until = Clock::now() + kReadyCallsFor;
  while (Clock::now() < until) {
    const auto started = Clock::now();
    ready_answers += notifier.ready() ? 1 : 0;
    longest = std::max(longest, Clock::now() - started);
    ++calls;
    poll(nullptr, 0, 1);
  }
  EXPECT_EQ(ready_answers, 0) << "ready() was true with a broker that never answers";
  EXPECT_LT(longest, kMetadataRequestTime)
      << "the longest of " << calls << " ready() calls took " << to_ms(longest) << " ms";
}

struct BadSetting {
  const char* name;
  std::function<void(KafkaConfig&)> change;
  std::vector<std::string> keys;  // every key the message must name
  std::size_t max_message_bytes = kMaxMessageBytes;
};

class KafkaNotifierBadSetting : public ::testing::TestWithParam<BadSetting> {};

TEST_P(KafkaNotifierBadSetting, ConstructionThrowsNamingTheKey) {
  KafkaConfig config;
  config.brokers = "127.0.0.1:" + std::to_string(closed_port());
  GetParam().change(config);
  try {
    KafkaNotifier notifier(config, GetParam().max_message_bytes);
    ADD_FAILURE() << "no exception";
  } catch (const std::invalid_argument& error) {
    for (const std::string& key : GetParam().keys) {
      EXPECT_NE(std::string(error.what()).find(key), std::string::npos)
          << "'" << error.what() << "' does not name " << key;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Settings, KafkaNotifierBadSetting,
    ::testing::Values(
        BadSetting{"unknown_compression",
                   [](KafkaConfig& c) { c.compression = "brotli"; },
                   {"sync.adapters.kafka.compression"}},
        BadSetting{"negative_linger",
                   [](KafkaConfig& c) { c.linger = std::chrono::milliseconds{-1}; },
                   {"sync.adapters.kafka.lingerMs"}},
        BadSetting{"linger_beyond_delivery_timeout",
                   [](KafkaConfig& c) {
                     c.delivery_timeout = std::chrono::milliseconds{1000};
                     c.linger = std::chrono::milliseconds{5000};
                   },
                   {"sync.adapters.kafka.deliveryTimeoutMs", "sync.adapters.kafka.lingerMs"}},
        BadSetting{"zero_delivery_timeout",
                   [](KafkaConfig& c) { c.delivery_timeout = std::chrono::milliseconds{0}; },
                   {"sync.adapters.kafka.deliveryTimeoutMs"}},
        BadSetting{"no_brokers",
                   [](KafkaConfig& c) { c.brokers.clear(); },
                   {"sync.adapters.kafka.brokers"}},
        BadSetting{
            "no_topic", [](KafkaConfig& c) { c.topic.clear(); }, {"sync.adapters.kafka.topic"}},
        // limits.maxMessageBytes allows up to 1 GiB; librdkafka's message.max.bytes 10^9.
        BadSetting{"message_size_beyond_librdkafka",
                   [](KafkaConfig& /*c*/) {},
                   {"limits.maxMessageBytes"},
                   std::size_t{1} << 30U}),
    [](const ::testing::TestParamInfo<BadSetting>& info) { return info.param.name; });

}  // namespace
}  // namespace primesync
