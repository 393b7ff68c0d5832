#include "testenv/kafka_client.hpp"

#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <thread>

namespace primesync::testenv {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr auto kAdminTimeout = 30s;
constexpr auto kPoll = 500ms;             // a consumer poll, a metadata request
constexpr auto kMetadataRecheck = 100ms;  // between metadata requests while waiting
constexpr std::size_t kErrorTextBytes = 512;
constexpr std::size_t kBannerWidth = 66;  // between "* " and " *"

int to_ms(Clock::duration duration) {
  return static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(duration).count());
}

template <auto destroy>
struct Destroy {
  template <typename T>
  void operator()(T* handle) const {
    destroy(handle);
  }
};
using Client = std::unique_ptr<rd_kafka_t, Destroy<rd_kafka_destroy>>;
using Queue = std::unique_ptr<rd_kafka_queue_t, Destroy<rd_kafka_queue_destroy>>;
using Event = std::unique_ptr<rd_kafka_event_t, Destroy<rd_kafka_event_destroy>>;
using NewTopic = std::unique_ptr<rd_kafka_NewTopic_t, Destroy<rd_kafka_NewTopic_destroy>>;
using AdminOptions =
    std::unique_ptr<rd_kafka_AdminOptions_t, Destroy<rd_kafka_AdminOptions_destroy>>;
using Topic = std::unique_ptr<rd_kafka_topic_t, Destroy<rd_kafka_topic_destroy>>;

// A producer handle for the admin API, or a test failure and nullptr.
Client admin_client(const std::string& brokers) {
  std::array<char, kErrorTextBytes> error{};
  Client rk(rd_kafka_new(RD_KAFKA_PRODUCER, make_conf(brokers), error.data(), error.size()));
  if (!rk) ADD_FAILURE() << "rd_kafka_new: " << error.data();
  return rk;
}

void print_banner_line(std::string text) {
  text.resize(std::max(text.size(), kBannerWidth), ' ');
  std::fprintf(stderr, "* %s *\n", text.c_str());
}

}  // namespace

std::string test_kafka_brokers(std::string_view skipped) {
  const char* brokers = std::getenv("PRIMESYNC_TEST_KAFKA_BROKERS");
  if (brokers != nullptr && *brokers != '\0') return brokers;
  static bool told = false;  // once per run, not once per test
  if (!std::exchange(told, true)) {
    const std::string stars(kBannerWidth + 4, '*');
    std::fprintf(stderr, "\n%s\n", stars.c_str());
    print_banner_line("SKIPPING: PRIMESYNC_TEST_KAFKA_BROKERS is not set, so");
    print_banner_line(std::string(skipped) + " did NOT run.");
    print_banner_line("Start the servers with");
    print_banner_line("    eval \"$(tools/testenv/up)\"");
    print_banner_line("(see docs/testing.md) and run it again.");
    std::fprintf(stderr, "%s\n", stars.c_str());
  }
  return "";
}

std::string unique_suffix() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return std::to_string(::getpid()) + "-" +
         std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(now).count());
}

rd_kafka_conf_t* make_conf(const std::string& brokers,
                           const std::vector<std::pair<std::string, std::string>>& settings) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  std::array<char, kErrorTextBytes> error{};
  auto set = [&](const std::string& key, const std::string& value) {
    if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), error.data(), error.size()) !=
        RD_KAFKA_CONF_OK) {
      ADD_FAILURE() << "rd_kafka_conf_set(" << key << "=" << value << "): " << error.data();
    }
  };
  set("bootstrap.servers", brokers);
  set("client.id", "primesync-test");
  for (const auto& [key, value] : settings) set(key, value);
  return conf;
}

void create_topic(const std::string& brokers, const std::string& topic, int partitions) {
  const Client rk = admin_client(brokers);
  ASSERT_TRUE(rk);
  std::array<char, kErrorTextBytes> error{};
  rd_kafka_NewTopic_t* new_topic =
      rd_kafka_NewTopic_new(topic.c_str(), partitions, 1, error.data(), error.size());
  ASSERT_NE(new_topic, nullptr) << error.data();
  const NewTopic new_topic_owner(new_topic);
  const AdminOptions options(rd_kafka_AdminOptions_new(rk.get(), RD_KAFKA_ADMIN_OP_CREATETOPICS));
  ASSERT_EQ(rd_kafka_AdminOptions_set_operation_timeout(options.get(), to_ms(kAdminTimeout),
                                                        error.data(), error.size()),
            RD_KAFKA_RESP_ERR_NO_ERROR)
      << error.data();
  const Queue queue(rd_kafka_queue_new(rk.get()));
  rd_kafka_CreateTopics(rk.get(), &new_topic, 1, options.get(), queue.get());
  const Event event(rd_kafka_queue_poll(queue.get(), to_ms(kAdminTimeout)));
  ASSERT_TRUE(event) << "CreateTopics timed out";
  EXPECT_EQ(rd_kafka_event_error(event.get()), RD_KAFKA_RESP_ERR_NO_ERROR)
      << rd_kafka_event_error_string(event.get());
  const rd_kafka_CreateTopics_result_t* result = rd_kafka_event_CreateTopics_result(event.get());
  ASSERT_NE(result, nullptr);
  size_t count = 0;
  const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(result, &count);
  ASSERT_EQ(count, 1U);
  EXPECT_EQ(rd_kafka_topic_result_error(results[0]), RD_KAFKA_RESP_ERR_NO_ERROR)
      << topic << ": " << rd_kafka_err2str(rd_kafka_topic_result_error(results[0]));

  // Wait until the broker's metadata shows every partition.
  const Topic handle(rd_kafka_topic_new(rk.get(), topic.c_str(), nullptr));
  int shown = 0;
  const auto until = Clock::now() + kAdminTimeout;
  while (Clock::now() < until) {
    const rd_kafka_metadata_t* metadata = nullptr;
    if (rd_kafka_metadata(rk.get(), 0, handle.get(), &metadata, to_ms(kPoll)) ==
        RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (metadata->topic_cnt == 1 && metadata->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        shown = metadata->topics[0].partition_cnt;
      }
      rd_kafka_metadata_destroy(metadata);
    }
    if (shown == partitions) break;
    std::this_thread::sleep_for(kMetadataRecheck);
  }
  EXPECT_EQ(shown, partitions) << "topic " << topic << " not ready";
}

void delete_topic(const std::string& brokers, const std::string& topic) {
  std::array<char, kErrorTextBytes> error{};
  const Client rk(rd_kafka_new(RD_KAFKA_PRODUCER, make_conf(brokers), error.data(), error.size()));
  if (!rk) return;
  rd_kafka_DeleteTopic_t* doomed = rd_kafka_DeleteTopic_new(topic.c_str());
  const Queue queue(rd_kafka_queue_new(rk.get()));
  rd_kafka_DeleteTopics(rk.get(), &doomed, 1, nullptr, queue.get());
  const Event event(rd_kafka_queue_poll(queue.get(), to_ms(kAdminTimeout)));
  rd_kafka_DeleteTopic_destroy(doomed);
}

std::vector<KafkaMessage> read_topic(
    const std::string& brokers, const std::string& topic, int partitions, Clock::duration deadline,
    const std::function<bool(const std::vector<KafkaMessage>&)>& done) {
  std::array<char, kErrorTextBytes> error{};
  rd_kafka_conf_t* conf = make_conf(brokers, {{"group.id", "primesync-test-" + unique_suffix()},
                                              {"enable.auto.commit", "false"}});
  const Client consumer(rd_kafka_new(RD_KAFKA_CONSUMER, conf, error.data(), error.size()));
  if (!consumer) {
    ADD_FAILURE() << error.data();
    return {};
  }
  rd_kafka_poll_set_consumer(consumer.get());
  rd_kafka_topic_partition_list_t* assignment = rd_kafka_topic_partition_list_new(partitions);
  for (int partition = 0; partition < partitions; ++partition) {
    rd_kafka_topic_partition_list_add(assignment, topic.c_str(), partition)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
  }
  EXPECT_EQ(rd_kafka_assign(consumer.get(), assignment), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_topic_partition_list_destroy(assignment);

  std::vector<KafkaMessage> read;
  const auto until = Clock::now() + deadline;
  while (!done(read) && Clock::now() < until) {
    rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer.get(), to_ms(kPoll));
    if (message == nullptr) continue;
    if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      read.push_back(
          KafkaMessage{std::string(static_cast<const char*>(message->key), message->key_len),
                       std::string(static_cast<const char*>(message->payload), message->len),
                       message->partition});
    } else if (message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      ADD_FAILURE() << "consumer error: " << rd_kafka_message_errstr(message);
    }
    rd_kafka_message_destroy(message);
  }
  rd_kafka_consumer_close(consumer.get());
  return read;
}

}  // namespace primesync::testenv
