#include "notify/kafka/kafka_push_feed.hpp"

#include <librdkafka/rdkafka.h>

#include <array>
#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <unordered_set>
#include <vector>

#include "notify/kafka/kafka_properties.hpp"
#include "observe/logger.hpp"

namespace primesync {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// How long one poll waits for a message: also how long stopping may take.
constexpr milliseconds poll_wait{100};
// How often the topic's partitions are looked up: often until they are all
// assigned, then rarely (a partition added to a running topic waits this long).
constexpr milliseconds look_while_unassigned{500};
constexpr milliseconds look_when_assigned{10000};
constexpr milliseconds metadata_timeout{1000};
constexpr std::size_t error_text_bytes = 512;

}  // namespace

struct KafkaPushFeed::Impl {
  KafkaConfig config;
  std::string group;
  Sink sink;
  rd_kafka_t* consumer = nullptr;
  rd_kafka_topic_t* topic = nullptr;  // for metadata requests only

  std::unordered_set<std::int32_t> assigned;  // touched by the thread only
  bool looked_once = false;                   // a broker answered about the topic
  std::atomic<bool> all_assigned{false};
  std::atomic<bool> stopping{false};
  std::atomic<std::uint64_t> consumed{0};
  std::atomic<std::uint64_t> errors{0};
  std::atomic<std::uint64_t> partitions{0};
  std::thread thread;

  ~Impl() {
    stopping = true;
    if (thread.joinable()) thread.join();
    if (topic != nullptr) rd_kafka_topic_destroy(topic);
    if (consumer != nullptr) {
      rd_kafka_consumer_close(consumer);
      rd_kafka_destroy(consumer);
    }
  }

  // Assigns the partitions not yet assigned. False when no broker answered.
  bool assign_new_partitions() {
    const rd_kafka_metadata_t* metadata = nullptr;
    const rd_kafka_resp_err_t asked = rd_kafka_metadata(consumer, 0, topic, &metadata,
                                                        static_cast<int>(metadata_timeout.count()));
    if (asked != RD_KAFKA_RESP_ERR_NO_ERROR || metadata == nullptr) return false;
    std::vector<std::int32_t> found;
    if (metadata->topic_cnt == 1 && metadata->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      for (int i = 0; i < metadata->topics[0].partition_cnt; ++i) {
        found.push_back(metadata->topics[0].partitions[i].id);
      }
    }
    rd_kafka_metadata_destroy(metadata);

    // What existed at the first answer is read from its end, what came later from
    // its beginning (nothing in it predates this feed).
    const std::int64_t start = looked_once ? RD_KAFKA_OFFSET_BEGINNING : RD_KAFKA_OFFSET_END;
    looked_once = true;
    rd_kafka_topic_partition_list_t* added = rd_kafka_topic_partition_list_new(1);
    for (const std::int32_t partition : found) {
      if (assigned.contains(partition)) continue;
      rd_kafka_topic_partition_list_add(added, config.topic.c_str(), partition)->offset = start;
    }
    if (added->cnt > 0) {
      if (rd_kafka_error_t* error = rd_kafka_incremental_assign(consumer, added)) {
        observe::log_event(observe::Level::warn, std::string("kafka push feed: assign failed: ") +
                                                     rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
      } else {
        for (int i = 0; i < added->cnt; ++i) assigned.insert(added->elems[i].partition);
      }
    }
    rd_kafka_topic_partition_list_destroy(added);
    partitions.store(assigned.size());
    all_assigned.store(!found.empty() && assigned.size() >= found.size());
    return true;
  }

  void run() {
    Clock::time_point next_look = Clock::now();
    while (!stopping.load()) {
      if (Clock::now() >= next_look) {
        assign_new_partitions();
        next_look =
            Clock::now() + (all_assigned.load() ? look_when_assigned : look_while_unassigned);
      }
      rd_kafka_message_t* message =
          rd_kafka_consumer_poll(consumer, static_cast<int>(poll_wait.count()));
      if (message == nullptr) continue;
      if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        consumed.fetch_add(1, std::memory_order_relaxed);
        sink(std::string_view(static_cast<const char*>(message->payload), message->len));
      } else if (message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        errors.fetch_add(1, std::memory_order_relaxed);
      }
      rd_kafka_message_destroy(message);
    }
  }
};

KafkaPushFeed::KafkaPushFeed(const KafkaConfig& config, Sink sink)
    : impl_(std::make_unique<Impl>()) {
  impl_->config = config;
  impl_->sink = std::move(sink);
}

void KafkaPushFeed::start(std::string group_id) {
  Impl& feed = *impl_;
  if (feed.consumer != nullptr) throw std::logic_error("KafkaPushFeed::start called twice");
  const KafkaConfig& config = feed.config;
  feed.group = std::move(group_id);

  const std::vector<KafkaProperty> properties = {
      {"bootstrap.servers", "metadata.broker.list", "sync.adapters.kafka.brokers", config.brokers},
      {"client.id", "", "sync.adapters.kafka.clientId", config.client_id + "-push"},
      {"group.id", "", "push.consumerGroup", feed.group},
      {"enable.auto.commit", "", "", "true"},
      {"auto.offset.reset", "", "", "latest"},
  };
  rd_kafka_conf_t* conf = make_kafka_conf(properties);
  std::array<char, error_text_bytes> error{};
  feed.consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error.data(), error.size());
  if (feed.consumer == nullptr) {
    rd_kafka_conf_destroy(conf);  // rd_kafka_new() frees it only on success
    throw std::invalid_argument(keys_named_in(error.data(), properties) + ": " + error.data());
  }
  // Messages of every partition come from one queue, served by consumer_poll.
  rd_kafka_poll_set_consumer(feed.consumer);
  feed.topic = rd_kafka_topic_new(feed.consumer, config.topic.c_str(), nullptr);
  if (feed.topic == nullptr) {
    throw std::invalid_argument(std::string("sync.adapters.kafka.topic: ") +
                                rd_kafka_err2str(rd_kafka_last_error()));
  }
  feed.thread = std::thread([&feed] { feed.run(); });
}

KafkaPushFeed::~KafkaPushFeed() = default;

bool KafkaPushFeed::ready() const {
  return impl_->all_assigned.load();
}

KafkaPushFeed::Stats KafkaPushFeed::stats() const {
  return Stats{impl_->consumed.load(), impl_->errors.load(), impl_->partitions.load()};
}

const std::string& KafkaPushFeed::group_id() const {
  return impl_->group;
}

}  // namespace primesync
