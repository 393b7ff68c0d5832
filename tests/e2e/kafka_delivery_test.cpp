// The server publishes its notifications to Kafka, end to end (PROTOCOL.md §5): the
// real primesync-server on the embedded store, with [sync.adapters.kafka] on the test
// broker of tools/testenv and a fresh topic per test.
//   (a) A flush and an upload of device A reach the topic as §5 messages, key = the
//       user id, value = the JSON message, in commit order.
//   (b) A broker outage (tools/testenv/kafka-ctl stop): writes of two users keep
//       succeeding, /readyz stays 200 and reports `kafka: down`, the outbox holds
//       the notifications (/metrics); once the broker is back (kafka-ctl start)
//       every notification arrives, in order per user with no gap (at least once:
//       duplicates allowed), and the outbox drains. TearDown restarts the broker if
//       a test left it stopped.
// Skips loudly without PRIMESYNC_TEST_KAFKA_BROKERS. Runs in the ctest entry
// e2e_kafka_delivery (integration, RUN_SERIAL: it stops the shared broker).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <simdjson.h>
#include <sys/wait.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "client_flows.hpp"
#include "server_process.hpp"

namespace primesync::e2e {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

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
constexpr auto kAdminTimeout = 30s;
constexpr auto kKafkaCtlDeadline = 240s;  // kafka-ctl's own readiness wait is 180 s
constexpr auto kPoll = 100ms;
constexpr std::size_t kErrorTextBytes = 512;

int to_ms(Clock::duration duration) {
  return static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(duration).count());
}

bool eventually(Clock::duration deadline, const std::function<bool()>& condition) {
  const auto until = Clock::now() + deadline;
  for (;;) {
    if (condition()) return true;
    if (Clock::now() >= until) return false;
    std::this_thread::sleep_for(kPoll);
  }
}

std::string unique_suffix() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return std::to_string(::getpid()) + "-" +
         std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(now).count());
}

std::optional<std::string> test_kafka_brokers() {
  const char* brokers = std::getenv("PRIMESYNC_TEST_KAFKA_BROKERS");
  if (brokers == nullptr || *brokers == '\0') return std::nullopt;
  return std::string(brokers);
}

void print_kafka_skip_banner() {
  static bool told = false;  // once per run, not once per test
  if (std::exchange(told, true)) return;
  std::fprintf(stderr,
               "\n"
               "**********************************************************************\n"
               "* SKIPPING: PRIMESYNC_TEST_KAFKA_BROKERS is not set, so the server's *\n"
               "* Kafka delivery was NOT tested end to end. Start the servers with   *\n"
               "*     eval \"$(tools/testenv/up)\"                                    *\n"
               "* (see docs/testing.md) and run it again.                            *\n"
               "**********************************************************************\n");
}

// ---------------------------------------------------------------- kafka-ctl

struct CtlResult {
  int exit_status = -1;  // -1: did not finish before the deadline (then killed)
  std::string out;       // its stdout; its stderr goes to ours
};

// Runs tools/testenv/kafka-ctl COMMAND.
CtlResult run_kafka_ctl(const std::string& command) {
  const std::string script = PRIMESYNC_E2E_KAFKA_CTL;
  std::array<int, 2> out_pipe{};
  if (::pipe2(out_pipe.data(), O_CLOEXEC) != 0) return {};
  const pid_t child = ::fork();
  if (child < 0) return {};
  if (child == 0) {
    ::dup2(out_pipe[1], STDOUT_FILENO);
    // The broker it starts must not inherit this process's sockets.
    ::close_range(STDERR_FILENO + 1, ~0U, 0);
    ::execl(script.c_str(), script.c_str(), command.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  CtlResult result;
  const auto until = Clock::now() + kKafkaCtlDeadline;
  bool open = true;
  while (Clock::now() < until) {
    if (open) {
      pollfd readable{out_pipe[0], POLLIN, 0};
      if (::poll(&readable, 1, to_ms(kPoll)) > 0) {
        std::array<char, kErrorTextBytes> chunk{};
        const ssize_t n = ::read(out_pipe[0], chunk.data(), chunk.size());
        if (n > 0) {
          result.out.append(chunk.data(), static_cast<std::size_t>(n));
        } else {
          open = false;
        }
      }
      continue;
    }
    int status = 0;
    if (::waitpid(child, &status, WNOHANG) == child) {
      result.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      ::close(out_pipe[0]);
      return result;
    }
    std::this_thread::sleep_for(kPoll);
  }
  ADD_FAILURE() << "kafka-ctl " << command << " did not finish before the deadline; killed";
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  ::close(out_pipe[0]);
  return result;
}

// ---------------------------------------------------------------- the topic

rd_kafka_conf_t* make_conf(const std::string& brokers,
                           const std::vector<std::pair<std::string, std::string>>& settings = {}) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  std::array<char, kErrorTextBytes> error{};
  auto set = [&](const std::string& key, const std::string& value) {
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), error.data(), error.size()) !=
        RD_KAFKA_CONF_OK) {
      ADD_FAILURE() << "rd_kafka_conf_set(" << key << "=" << value << "): " << error.data();
    }
  };
  set("bootstrap.servers", brokers);
  set("client.id", "primesync-e2e-kafka");
  for (const auto& [key, value] : settings) set(key, value);
  return conf;
}

// Creates `topic` with kPartitions partitions and waits until its metadata shows them.
void create_topic(const std::string& brokers, const std::string& topic) {
  std::array<char, kErrorTextBytes> error{};
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, make_conf(brokers), error.data(), error.size());
  ASSERT_NE(rk, nullptr) << error.data();
  rd_kafka_NewTopic_t* new_topic =
      rd_kafka_NewTopic_new(topic.c_str(), kPartitions, 1, error.data(), error.size());
  ASSERT_NE(new_topic, nullptr) << error.data();
  rd_kafka_AdminOptions_t* options = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_AdminOptions_set_operation_timeout(options, to_ms(kAdminTimeout), error.data(),
                                              error.size());
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk);
  rd_kafka_CreateTopics(rk, &new_topic, 1, options, queue);
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, to_ms(kAdminTimeout));
  EXPECT_NE(event, nullptr) << "CreateTopics timed out";
  if (event != nullptr) {
    size_t count = 0;
    const rd_kafka_topic_result_t** results =
        rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event), &count);
    EXPECT_EQ(count, 1U);
    if (count == 1) {
      EXPECT_EQ(rd_kafka_topic_result_error(results[0]), RD_KAFKA_RESP_ERR_NO_ERROR)
          << topic << ": " << rd_kafka_err2str(rd_kafka_topic_result_error(results[0]));
    }
    rd_kafka_event_destroy(event);
  }
  rd_kafka_queue_destroy(queue);
  rd_kafka_AdminOptions_destroy(options);
  rd_kafka_NewTopic_destroy(new_topic);

  rd_kafka_topic_t* handle = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  int partitions = 0;
  const auto until = Clock::now() + kAdminTimeout;
  while (partitions != kPartitions && Clock::now() < until) {
    const rd_kafka_metadata_t* metadata = nullptr;
    if (rd_kafka_metadata(rk, 0, handle, &metadata, to_ms(kPoll * 5)) ==
        RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (metadata->topic_cnt == 1 && metadata->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        partitions = metadata->topics[0].partition_cnt;
      }
      rd_kafka_metadata_destroy(metadata);
    }
  }
  EXPECT_EQ(partitions, kPartitions) << "topic " << topic << " not ready";
  rd_kafka_topic_destroy(handle);
  rd_kafka_destroy(rk);
}

void delete_topic(const std::string& brokers, const std::string& topic) {
  std::array<char, kErrorTextBytes> error{};
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, make_conf(brokers), error.data(), error.size());
  if (rk == nullptr) return;
  rd_kafka_DeleteTopic_t* doomed = rd_kafka_DeleteTopic_new(topic.c_str());
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk);
  rd_kafka_DeleteTopics(rk, &doomed, 1, nullptr, queue);
  if (rd_kafka_event_t* event = rd_kafka_queue_poll(queue, to_ms(kAdminTimeout))) {
    rd_kafka_event_destroy(event);
  }
  rd_kafka_DeleteTopic_destroy(doomed);
  rd_kafka_queue_destroy(queue);
  rd_kafka_destroy(rk);
}

// One message of the topic, its value read as a §5 notification.
struct Published {
  std::string key;
  std::int32_t partition = 0;
  std::string value;
  std::string parse_error;  // non-empty when the value is not the expected JSON
  std::string msg_id;
  std::string type;
  std::string user_id;
  std::vector<std::string> devices;
  std::optional<std::int64_t> nonce;
  std::string pwd_hash;
  std::optional<std::string> lock_key;
  std::optional<std::vector<std::string>> server_data_keys;  // sorted
};

Published parse_published(std::string key, std::int32_t partition, std::string value) {
  Published out;
  out.key = std::move(key);
  out.partition = partition;
  out.value = std::move(value);
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

// Reads every partition of the topic from its beginning (no consumer group: an
// assignment) until `done` says so or the deadline passes.
std::vector<Published> read_topic(const std::string& brokers, const std::string& topic,
                                  const std::function<bool(const std::vector<Published>&)>& done) {
  std::array<char, kErrorTextBytes> error{};
  rd_kafka_conf_t* conf = make_conf(
      brokers, {{"group.id", "primesync-e2e-" + unique_suffix()}, {"enable.auto.commit", "false"}});
  rd_kafka_t* consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error.data(), error.size());
  if (consumer == nullptr) {
    ADD_FAILURE() << error.data();
    return {};
  }
  rd_kafka_poll_set_consumer(consumer);
  rd_kafka_topic_partition_list_t* assignment = rd_kafka_topic_partition_list_new(kPartitions);
  for (int partition = 0; partition < kPartitions; ++partition) {
    rd_kafka_topic_partition_list_add(assignment, topic.c_str(), partition)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
  }
  EXPECT_EQ(rd_kafka_assign(consumer, assignment), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_topic_partition_list_destroy(assignment);

  std::vector<Published> read;
  const auto until = Clock::now() + kConsumeDeadline;
  while (!done(read) && Clock::now() < until) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer, to_ms(kPoll * 5));
    if (message == nullptr) continue;
    if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      read.push_back(parse_published(
          std::string(static_cast<const char*>(message->key), message->key_len), message->partition,
          std::string(static_cast<const char*>(message->payload), message->len)));
    } else if (message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      ADD_FAILURE() << "consumer error: " << rd_kafka_message_errstr(message);
    }
    rd_kafka_message_destroy(message);
  }
  rd_kafka_consumer_close(consumer);
  rd_kafka_destroy(consumer);
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

// The samples of GET /metrics by their full name (labels included).
std::map<std::string, double> scrape_metrics(std::uint16_t port) {
  HttpClient http("127.0.0.1", port);
  const HttpResponse response = http.request("GET", "/metrics");
  if (response.status != 200) throw std::runtime_error("/metrics answered " + response.reason);
  std::map<std::string, double> samples;
  std::istringstream lines(response.body);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    const std::size_t space = line.rfind(' ');
    if (space == std::string::npos) continue;
    samples[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return samples;
}

double metric(const std::map<std::string, double>& samples, const std::string& name) {
  const auto found = samples.find(name);
  if (found == samples.end()) throw std::runtime_error("/metrics has no " + name);
  return found->second;
}

constexpr const char* kOutboxPending = "primesync_outbox_pending";
constexpr const char* kDeliveryFailures = "primesync_notification_failures_total";
constexpr const char* kDelivered = "primesync_notifications_delivered_total";
constexpr const char* kKafkaUp = "primesync_component_up{component=\"kafka\"}";

// ---------------------------------------------------------------- the fixture

class KafkaDeliveryTest : public ServerTest {
 protected:
  void SetUp() override {
    PRIMESYNC_E2E_REQUIRE_BINARY();
    const std::optional<std::string> brokers = test_kafka_brokers();
    if (!brokers) {
      print_kafka_skip_banner();
      GTEST_SKIP() << "*** PRIMESYNC_TEST_KAFKA_BROKERS not set: Kafka e2e test NOT RUN "
                      "(eval \"$(tools/testenv/up)\", see docs/testing.md) ***";
    }
    brokers_ = *brokers;
    topic_ = "primesync-e2e-" + unique_suffix();
    ASSERT_NO_FATAL_FAILURE(create_topic(brokers_, topic_));
    topic_created_ = true;
    ServerTest::SetUp();
  }

  void TearDown() override {
    // A failed test must not leave the shared broker down.
    if (broker_stopped_) start_broker();
    ServerTest::TearDown();
    server_.reset();  // before the topic goes: nothing may publish to it again
    if (topic_created_) delete_topic(brokers_, topic_);
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
    const CtlResult controlled = run_kafka_ctl("brokers");
    if (controlled.exit_status == 0 && controlled.out == brokers_ + "\n") return true;
    std::cerr << "*** kafka-ctl controls '" << controlled.out << "' (exit "
              << controlled.exit_status << "), not PRIMESYNC_TEST_KAFKA_BROKERS '" << brokers_
              << "': outage test NOT RUN ***\n";
    return false;
  }

  void stop_broker() {
    broker_stopped_ = true;
    ASSERT_EQ(run_kafka_ctl("stop").exit_status, 0) << "kafka-ctl stop failed";
  }

  void start_broker() {
    const CtlResult started = run_kafka_ctl("start");
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
