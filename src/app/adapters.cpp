#include "app/adapters.hpp"

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

}  // namespace

std::vector<Notifier*> Adapters::notifier_pointers() const {
  std::vector<Notifier*> pointers;
  pointers.reserve(notifiers.size());
  for (const auto& notifier : notifiers) pointers.push_back(notifier.get());
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

Adapters open_adapters(const Config& config) {
  Adapters adapters;
  if (config.store == "mongodb") {
    open_mongodb(config, adapters);
  } else {
    open_rocksdb(config, adapters);
  }
  if (!config.kafka.brokers.empty()) open_kafka(config, adapters);
  return adapters;
}

}  // namespace primesync::app
