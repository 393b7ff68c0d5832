// Smoke test of the Kafka broker used for integration tests (Apache Kafka in
// KRaft mode, see docs/testing.md) through librdkafka's C API: create a topic
// with the admin API, produce 10,000 keyed messages with an idempotent
// producer (acks=all), consume them all back with a fresh consumer group and
// check per-key order.
#include <librdkafka/rdkafka.h>

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "testenv/kafka_client.hpp"

namespace {

using primesync::testenv::make_conf;
using primesync::testenv::unique_suffix;

constexpr int kMessages = 10000;
constexpr int kKeys = 37;
constexpr int kPartitions = 3;

struct DeliveryStats {
  int ok = 0;
  int failed = 0;
  std::string first_error;
};

void on_delivery(rd_kafka_t* /*rk*/, const rd_kafka_message_t* msg, void* opaque) {
  auto* stats = static_cast<DeliveryStats*>(opaque);
  if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    ++stats->ok;
  } else {
    if (stats->failed++ == 0) stats->first_error = rd_kafka_err2str(msg->err);
  }
}

class KafkaSmoke : public ::testing::Test {
 protected:
  void SetUp() override {
    brokers_ = primesync::testenv::test_kafka_brokers("this Kafka integration test");
    if (brokers_.empty())
      GTEST_SKIP() << "PRIMESYNC_TEST_KAFKA_BROKERS not set (see docs/testing.md)";
    topic_ = "primesync-smoke-" + unique_suffix();
  }

  void TearDown() override {
    // Best effort: delete the topic again.
    if (topic_created_) primesync::testenv::delete_topic(brokers_, topic_);
  }

  void create_topic() {
    topic_created_ = true;  // perhaps half-way: TearDown tries to delete it anyway
    primesync::testenv::create_topic(brokers_, topic_, kPartitions);
  }

  std::string brokers_;
  std::string topic_;
  bool topic_created_ = false;
};

TEST_F(KafkaSmoke, IdempotentProduceThenConsumeInOrderPerKey) {
  ASSERT_NO_FATAL_FAILURE(create_topic());
  char errstr[512];

  // ---- produce
  DeliveryStats stats;
  rd_kafka_conf_t* pconf = make_conf(brokers_, {{"enable.idempotence", "true"},
                                                {"acks", "all"},
                                                {"linger.ms", "5"},
                                                {"message.timeout.ms", "60000"}});
  rd_kafka_conf_set_dr_msg_cb(pconf, on_delivery);
  rd_kafka_conf_set_opaque(pconf, &stats);
  rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, pconf, errstr, sizeof errstr);
  ASSERT_NE(producer, nullptr) << errstr;

  // The idempotent producer really is idempotent (librdkafka would refuse
  // acks != all with it).
  {
    rd_kafka_conf_t* c = rd_kafka_conf_dup(rd_kafka_conf(producer));
    char value[64];
    size_t size = sizeof value;
    ASSERT_EQ(rd_kafka_conf_get(c, "enable.idempotence", value, &size), RD_KAFKA_CONF_OK);
    EXPECT_STREQ(value, "true");
    size = sizeof value;
    ASSERT_EQ(rd_kafka_conf_get(c, "acks", value, &size), RD_KAFKA_CONF_OK);
    EXPECT_TRUE(std::string(value) == "-1" || std::string(value) == "all") << value;
    rd_kafka_conf_destroy(c);
  }

  std::map<std::string, int> next_seq;
  for (int i = 0; i < kMessages; ++i) {
    const std::string key = "key-" + std::to_string(i % kKeys);
    const std::string value = key + ":" + std::to_string(next_seq[key]++);
    for (;;) {
      const rd_kafka_resp_err_t err =
          rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(topic_.c_str()),
                            RD_KAFKA_V_KEY(const_cast<char*>(key.data()), key.size()),
                            RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        rd_kafka_poll(producer, 50);
        continue;
      }
      ASSERT_EQ(err, RD_KAFKA_RESP_ERR_NO_ERROR) << rd_kafka_err2str(err);
      break;
    }
    rd_kafka_poll(producer, 0);
  }
  EXPECT_EQ(rd_kafka_flush(producer, 60000), RD_KAFKA_RESP_ERR_NO_ERROR);
  char fatal[512];
  EXPECT_EQ(rd_kafka_fatal_error(producer, fatal, sizeof fatal), RD_KAFKA_RESP_ERR_NO_ERROR)
      << fatal;
  rd_kafka_destroy(producer);
  EXPECT_EQ(stats.ok, kMessages);
  EXPECT_EQ(stats.failed, 0) << stats.first_error;

  // ---- consume with a brand-new group
  const std::string group = "primesync-smoke-group-" + unique_suffix();
  rd_kafka_conf_t* cconf = make_conf(
      brokers_,
      {{"group.id", group}, {"auto.offset.reset", "earliest"}, {"enable.auto.commit", "false"}});
  rd_kafka_t* consumer = rd_kafka_new(RD_KAFKA_CONSUMER, cconf, errstr, sizeof errstr);
  ASSERT_NE(consumer, nullptr) << errstr;
  rd_kafka_poll_set_consumer(consumer);
  rd_kafka_topic_partition_list_t* subs = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(subs, topic_.c_str(), RD_KAFKA_PARTITION_UA);
  ASSERT_EQ(rd_kafka_subscribe(consumer, subs), RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_topic_partition_list_destroy(subs);

  std::map<std::string, int> seen_seq;           // key -> next expected sequence
  std::map<std::string, int32_t> key_partition;  // key -> partition it lives in
  int received = 0;
  int out_of_order = 0;
  std::string first_problem;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  while (received < kMessages && std::chrono::steady_clock::now() < deadline) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer, 500);
    if (m == nullptr) continue;
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        ADD_FAILURE() << "consumer error: " << rd_kafka_message_errstr(m);
      }
      rd_kafka_message_destroy(m);
      continue;
    }
    const std::string key(static_cast<const char*>(m->key), m->key_len);
    const std::string value(static_cast<const char*>(m->payload), m->len);
    const int seq = std::stoi(value.substr(value.find(':') + 1));
    auto [it, inserted] = key_partition.emplace(key, m->partition);
    if (!inserted && it->second != m->partition && first_problem.empty()) {
      first_problem = "key " + key + " seen in two partitions";
    }
    if (seq != seen_seq[key]) {
      if (out_of_order++ == 0 && first_problem.empty()) {
        first_problem = "key " + key + ": expected seq " + std::to_string(seen_seq[key]) +
                        ", got " + std::to_string(seq);
      }
    }
    seen_seq[key] = seq + 1;
    ++received;
    rd_kafka_message_destroy(m);
  }
  if (received > 0) {
    EXPECT_EQ(rd_kafka_commit(consumer, nullptr, 0), RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  rd_kafka_consumer_close(consumer);
  rd_kafka_destroy(consumer);

  EXPECT_EQ(received, kMessages);
  EXPECT_EQ(out_of_order, 0) << first_problem;
  EXPECT_TRUE(first_problem.empty()) << first_problem;
  EXPECT_EQ(static_cast<int>(seen_seq.size()), kKeys);
  for (const auto& [key, expected] : next_seq) {
    EXPECT_EQ(seen_seq[key], expected) << "key " << key;
  }
  // With 3 partitions and 37 keys, more than one partition is in use.
  std::map<int32_t, int> per_partition;
  for (const auto& [key, p] : key_partition) ++per_partition[p];
  EXPECT_GT(per_partition.size(), 1u);
}

}  // namespace
