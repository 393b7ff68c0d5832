#include "app/adapters.hpp"

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
        observe::append_metric(out, "primesync_rocksdb_synced_writes_total", "counter",
                               "Commits written with a WAL sync.", stats.synced_writes);
        observe::append_metric(out, "primesync_rocksdb_write_batch_bytes_total", "counter",
                               "Bytes of committed write batches.", stats.write_batch_bytes);
      }});
  adapters.description = "store rocksdb, data in " + config.rocksdb.path;
  adapters.store = std::move(store);
}

void open_mongodb(const Config& config, Adapters& adapters) {
  auto store = MongoDbStore::open(config.mongodb);
  MongoDbStore* raw = store.get();
  adapters.probes.push_back(observe::ComponentProbe{
      "mongodb", true, [raw] { return raw->ready(); },
      [raw](std::string& out) {
        const MongoDbStore::Stats stats = raw->stats();
        observe::append_metric(out, "primesync_mongodb_conflicts_total", "counter",
                               "Write sets refused by their revision precondition.",
                               stats.conflicts);
        observe::append_metric(out, "primesync_mongodb_roll_forwards_total", "counter",
                               "Unfinished writes completed when a user was loaded.",
                               stats.roll_forwards);
        observe::append_metric(out, "primesync_mongodb_load_retries_total", "counter",
                               "Loads read again because a commit raced them.",
                               stats.load_retries);
        observe::append_metric(out, "primesync_mongodb_failures_total", "counter",
                               "Operations that failed (answered 50300).", stats.failures);
      }});
  adapters.description = "store mongodb, database " + config.mongodb.database +
                         ", outbox of instance " + raw->instance_id();
  adapters.store = std::move(store);
}

}  // namespace

std::vector<Notifier*> Adapters::notifier_pointers() const {
  std::vector<Notifier*> pointers;
  pointers.reserve(notifiers.size());
  for (const auto& notifier : notifiers) pointers.push_back(notifier.get());
  return pointers;
}

Adapters open_adapters(const Config& config) {
  Adapters adapters;
  if (config.store == "mongodb") {
    open_mongodb(config, adapters);
  } else {
    open_rocksdb(config, adapters);
  }
  return adapters;
}

}  // namespace primesync::app
