// The push hub's view of every instance's notifications: a Kafka consumer of the
// notification topic in a consumer group of this instance's own (so every instance
// reads every message), handing each message to a sink (the hub). Partitions are
// assigned by the feed itself rather than by a group rebalance, so a new instance
// reads at once instead of after the broker's rebalance delay: the partitions that
// exist at start from their end (a device only needs what happens while it is
// connected), those that appear later (a topic created after the start) from their
// beginning. Offsets are committed to the group, so the lag of each instance shows
// in Kafka's usual tools. librdkafka types stay out of this header.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "primesync/config.hpp"

namespace primesync {

class KafkaPushFeed {
 public:
  using Sink = std::function<void(std::string_view message)>;

  struct Stats {
    std::uint64_t consumed = 0;    // messages handed to the sink
    std::uint64_t errors = 0;      // consumer errors (the consumer retries by itself)
    std::uint64_t partitions = 0;  // partitions assigned now
  };

  explicit KafkaPushFeed(const KafkaConfig& config, Sink sink);
  // Creates the consumer in group `group_id` and its thread; does not wait for a
  // broker. Throws std::invalid_argument naming the config key librdkafka refuses.
  // Once only.
  void start(std::string group_id);
  // Stops the thread and closes the consumer (committing its offsets).
  ~KafkaPushFeed();
  KafkaPushFeed(const KafkaPushFeed&) = delete;
  KafkaPushFeed& operator=(const KafkaPushFeed&) = delete;

  // Every partition of the topic is assigned (false until the topic exists).
  [[nodiscard]] bool ready() const;
  [[nodiscard]] Stats stats() const;
  [[nodiscard]] const std::string& group_id() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace primesync
