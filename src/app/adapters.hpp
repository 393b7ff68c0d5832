// The store and notifiers the config names, opened for the server, with what
// /readyz and /metrics should report about each.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "notify/kafka/kafka_push_feed.hpp"
#include "observe/component_probe.hpp"
#include "primesync/config.hpp"
#include "primesync/notifier.hpp"
#include "primesync/store.hpp"
#include "push/push_hub.hpp"

namespace primesync {
class RocksDbStore;
}  // namespace primesync

namespace primesync::app {

struct Adapters {
  std::unique_ptr<Store> store;
  RocksDbStore* rocksdb = nullptr;  // `store` when it is the embedded one (backups)
  std::vector<std::unique_ptr<Notifier>> notifiers;
  // The socket.io push hub (push.enabled); without Kafka one of the notifiers, with
  // Kafka fed by push_feed (declared after it: the feed's sink is the hub).
  std::unique_ptr<push::PushHub> push_hub;
  std::unique_ptr<KafkaPushFeed> push_feed;  // started by start_push_feed
  std::vector<observe::ComponentProbe> probes;
  std::string description;  // for the start-up log line

  [[nodiscard]] std::vector<Notifier*> notifier_pointers() const;
};

// Opens what `config` selects (sync.adapters.*, push.*). Throws StoreUnavailable
// when the store cannot be opened, std::invalid_argument for a malformed adapter
// setting.
[[nodiscard]] Adapters open_adapters(const Config& config);

// The store alone, for the operator's subcommands: no notifiers, nothing started
// beside it. On rocksdb the data dir must exist already (std::invalid_argument
// otherwise: an export of a mistyped path should not create an empty store), and
// DataDirInUse says a running server holds it.
[[nodiscard]] Adapters open_store(const Config& config);

// With Kafka and the push hub: starts the hub's feed of every instance's
// notifications, in the consumer group push.consumerGroup (by default named after
// this host and `port`, the port the server is bound to).
void start_push_feed(const Config& config, unsigned short port, Adapters& adapters);

}  // namespace primesync::app
