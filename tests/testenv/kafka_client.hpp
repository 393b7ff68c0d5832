// A librdkafka client for the tests against the Kafka broker of tools/testenv
// (docs/testing.md): the broker from PRIMESYNC_TEST_KAFKA_BROKERS, a configuration,
// a topic created and deleted again, and the topic read back from its beginning.
// Failures are gtest failures of the calling test.
#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace primesync::testenv {

// PRIMESYNC_TEST_KAFKA_BROKERS, or empty when it is not set: then a banner on stderr
// (once per run) says that `skipped` did NOT run, and the caller skips.
[[nodiscard]] std::string test_kafka_brokers(std::string_view skipped);

// <pid>-<microseconds>: a name of this run (a topic, a consumer group, a user).
[[nodiscard]] std::string unique_suffix();

// A configuration for `brokers` with `settings` (key, value) applied after the
// defaults (bootstrap.servers, client.id). The caller owns it, until rd_kafka_new.
[[nodiscard]] rd_kafka_conf_t* make_conf(
    const std::string& brokers,
    const std::vector<std::pair<std::string, std::string>>& settings = {});

// Creates `topic` with `partitions` partitions (replication factor 1) and waits until
// the broker's metadata shows them all. Fatal failures: use ASSERT_NO_FATAL_FAILURE.
void create_topic(const std::string& brokers, const std::string& topic, int partitions);

// Deletes `topic`, best effort (cleanup: never a failure).
void delete_topic(const std::string& brokers, const std::string& topic);

struct KafkaMessage {
  std::string key;
  std::string value;
  std::int32_t partition = 0;
};

// Reads every partition of `topic` (it has `partitions`) from its beginning, with an
// assignment (no consumer group to join), until `done` says so or `deadline` passes.
// A consumer error is a test failure.
[[nodiscard]] std::vector<KafkaMessage> read_topic(
    const std::string& brokers, const std::string& topic, int partitions,
    std::chrono::steady_clock::duration deadline,
    const std::function<bool(const std::vector<KafkaMessage>&)>& done);

}  // namespace primesync::testenv
