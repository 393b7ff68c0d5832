#include "app/adapters.hpp"

#include <unistd.h>

#include <array>
#include <filesystem>
#include <stdexcept>

#include "notify/kafka/kafka_notifier.hpp"
#include "observe/request_metrics.hpp"
#include "store/mongodb/mongodb_store.hpp"
#include "store/rocksdb/rocksdb_store.hpp"

namespace primesync::app {

namespace {

void open_rocksdb(const Config& config, Adapters& adapters) {
  auto store = RocksDbStore::open(config.rocksdb);
  RocksDbStore* raw = store.get();
  adapters.probes.push_back(observe::ComponentProbe{
      "rocksdb", true, [raw] { return raw->ready(); },
      [raw](std::string& out) {
        const RocksDbStore::Stats stats = raw->stats();
        const RocksDbStore::EngineFigures engine = raw->engine_figures();
        observe::append_metrics(
            out,
            {{"primesync_rocksdb_synced_writes_total", "counter",
              "Commits written with a WAL sync.", stats.synced_writes},
             {"primesync_rocksdb_write_batch_bytes_total", "counter",
              "Bytes of committed write batches.", stats.write_batch_bytes},
             {"primesync_rocksdb_sst_bytes", "gauge", "Bytes of table files.", engine.sst_bytes},
             {"primesync_rocksdb_live_data_bytes", "gauge", "Estimated bytes of live data.",
              engine.live_data_bytes},
             {"primesync_rocksdb_memtable_bytes", "gauge", "Bytes in memtables.",
              engine.memtable_bytes},
             {"primesync_rocksdb_pending_compaction_bytes", "gauge",
              "Estimated bytes compaction still has to rewrite.", engine.pending_compaction_bytes},
             {"primesync_rocksdb_running_compactions", "gauge", "Compactions running now.",
              engine.running_compactions},
             {"primesync_rocksdb_wal_bytes", "gauge", "Bytes of write-ahead log files.",
              engine.wal_bytes},
             {"primesync_rocksdb_block_cache_bytes", "gauge", "Bytes held by the block cache.",
              engine.block_cache_bytes},
             {"primesync_rocksdb_disk_bytes", "gauge", "Bytes of every file in the data directory.",
              engine.disk_bytes}});
      }});
  adapters.description = "store rocksdb, data in " + config.rocksdb.path;
  adapters.rocksdb = raw;
  adapters.store = std::move(store);
}

void open_mongodb(const Config& config, Adapters& adapters) {
  auto store = MongoDbStore::open(config.mongodb);
  MongoDbStore* raw = store.get();
  adapters.probes.push_back(observe::ComponentProbe{
      "mongodb", true, [raw] { return raw->ready(); },
      [raw](std::string& out) {
        const MongoDbStore::Stats stats = raw->stats();
        observe::append_metrics(
            out, {{"primesync_mongodb_conflicts_total", "counter",
                   "Write sets refused by their revision precondition.", stats.conflicts},
                  {"primesync_mongodb_roll_forwards_total", "counter",
                   "Unfinished writes completed when a user was loaded.", stats.roll_forwards},
                  {"primesync_mongodb_load_retries_total", "counter",
                   "Loads read again because a commit raced them.", stats.load_retries},
                  {"primesync_mongodb_failures_total", "counter",
                   "Operations that failed (answered 50300).", stats.failures}});
      }});
  adapters.description = "store mongodb, database " + config.mongodb.database +
                         ", outbox of instance " + raw->instance_id();
  adapters.store = std::move(store);
}

void open_kafka(const Config& config, Adapters& adapters) {
  // The producer must accept the largest message the sync service makes.
  auto notifier = std::make_unique<KafkaNotifier>(config.kafka, config.limits.max_message_bytes);
  KafkaNotifier* raw = notifier.get();
  // A broker outage never fails a request (the outbox holds the notifications),
  // so Kafka is reported on /readyz but does not make the server unready.
  adapters.probes.push_back(observe::ComponentProbe{
      "kafka", false, [raw] { return raw->ready(); },  // cached: never blocks
      [raw](std::string& out) {
        const KafkaNotifier::Stats stats = raw->stats();
        observe::append_metrics(
            out, {{"primesync_kafka_produced_total", "counter",
                   "Messages handed to the Kafka producer.", stats.produced},
                  {"primesync_kafka_delivered_total", "counter",
                   "Messages the brokers acknowledged (acks=all).", stats.delivered},
                  {"primesync_kafka_failed_total", "counter",
                   "Delivery reports with an error (retried).", stats.failed},
                  {"primesync_kafka_queue_full_total", "counter",
                   "Messages refused because the producer queue was full.", stats.queue_full},
                  {"primesync_kafka_out_queue", "gauge",
                   "Messages the producer holds (queued or in flight).", stats.out_queue}});
      }});
  adapters.description += ", notifications to Kafka topic " + config.kafka.topic;
  adapters.notifiers.push_back(std::move(notifier));
}

void open_push_hub(const Config& config, Adapters& adapters) {
  adapters.push_hub = std::make_unique<push::PushHub>(config.push, config.auth);
  push::PushHub* hub = adapters.push_hub.get();
  adapters.probes.push_back(observe::ComponentProbe{
      "push", false, [] { return true; },
      [hub](std::string& out) {
        const push::PushHub::Stats stats = hub->stats();
        observe::append_metrics(
            out,
            {{"primesync_push_connections", "gauge", "Push sessions open on this instance.",
              stats.connected},
             {"primesync_push_devices", "gauge",
              "Push sessions whose device named its instance id.", stats.identified},
             {"primesync_push_connections_opened_total", "counter", "Push sessions opened.",
              stats.connections_opened},
             {"primesync_push_connections_refused_total", "counter",
              "Push sessions refused: push.maxConnections reached.", stats.connections_refused},
             {"primesync_push_messages_total", "counter", "Notifications handed to the hub.",
              stats.messages_received},
             {"primesync_push_malformed_messages_total", "counter",
              "Notifications the hub could not read.", stats.malformed_messages},
             {"primesync_push_sent_total", "counter", "Pushes sent to a device.",
              stats.pushes_sent},
             {"primesync_push_acks_total", "counter", "Pushes a device acknowledged.", stats.acks},
             {"primesync_push_retries_total", "counter",
              "Pushes sent again: no acknowledgement within push.ackTimeoutMs.", stats.retries},
             {"primesync_push_given_up_total", "counter",
              "Pushes never acknowledged after push.maxRetries resends.", stats.given_up},
             {"primesync_push_slow_consumer_closes_total", "counter",
              "Devices disconnected: more than push.sendQueueMessages waiting.",
              stats.slow_consumers},
             {"primesync_push_heartbeat_closes_total", "counter",
              "Devices disconnected: no pong, or no CONNECT in time.", stats.heartbeat_timeouts},
             {"primesync_push_protocol_errors_total", "counter",
              "Devices disconnected: unreadable packets.", stats.protocol_errors},
             {"primesync_push_refused_auth_total", "counter",
              "socket.io CONNECTs refused: no instance id, or no valid token.",
              stats.refused_auth}});
      }});
  adapters.description += ", push hub on /socket.io/";
  if (!config.kafka.brokers.empty()) adapters.description += " fed by Kafka";
}

// The feed starts once the port is known (start_push_feed).
void open_push_feed(const Config& config, Adapters& adapters) {
  push::PushHub* hub = adapters.push_hub.get();
  adapters.push_feed = std::make_unique<KafkaPushFeed>(
      config.kafka, [hub](std::string_view message) { hub->deliver_message(message); });
  KafkaPushFeed* feed = adapters.push_feed.get();
  adapters.probes.push_back(observe::ComponentProbe{
      "kafka-push-feed", false, [feed] { return feed->ready(); },
      [feed](std::string& out) {
        const KafkaPushFeed::Stats stats = feed->stats();
        observe::append_metrics(
            out, {{"primesync_push_feed_consumed_total", "counter",
                   "Notifications read from Kafka for the push hub.", stats.consumed},
                  {"primesync_push_feed_errors_total", "counter",
                   "Errors of the push hub's Kafka consumer (retried).", stats.errors},
                  {"primesync_push_feed_partitions", "gauge",
                   "Partitions of the notification topic the push hub reads.", stats.partitions}});
      }});
}

std::string host_name() {
  std::array<char, 256> name{};
  if (gethostname(name.data(), name.size() - 1) != 0) return "localhost";
  return name.data();
}

}  // namespace

std::vector<Notifier*> Adapters::notifier_pointers() const {
  std::vector<Notifier*> pointers;
  pointers.reserve(notifiers.size() + 1);
  for (const auto& notifier : notifiers) pointers.push_back(notifier.get());
  // With Kafka the hub is fed by the topic (every instance's notifications);
  // without it, by this instance's outbox.
  if (push_hub && !push_feed) pointers.push_back(push_hub.get());
  return pointers;
}

Adapters open_store(const Config& config) {
  Adapters adapters;
  if (config.store == "mongodb") {
    open_mongodb(config, adapters);
    return adapters;
  }
  if (!std::filesystem::is_directory(config.rocksdb.path)) {
    throw std::invalid_argument("no data dir at '" + config.rocksdb.path +
                                "' (give it with --data-dir or sync.adapters.rocksdb.path)");
  }
  open_rocksdb(config, adapters);
  return adapters;
}

void start_push_feed(const Config& config, unsigned short port, Adapters& adapters) {
  if (!adapters.push_feed) return;
  std::string group = config.push.consumer_group;
  if (group.empty()) group = "primesync-push-" + host_name() + "-" + std::to_string(port);
  adapters.push_feed->start(std::move(group));
}

Adapters open_adapters(const Config& config) {
  Adapters adapters;
  if (config.store == "mongodb") {
    open_mongodb(config, adapters);
  } else {
    open_rocksdb(config, adapters);
  }
  if (!config.kafka.brokers.empty()) open_kafka(config, adapters);
  if (config.push.enabled) {
    open_push_hub(config, adapters);
    if (!config.kafka.brokers.empty()) open_push_feed(config, adapters);
  }
  return adapters;
}

}  // namespace primesync::app
