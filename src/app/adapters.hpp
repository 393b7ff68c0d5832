// The store and notifiers the config names, opened for the server, with what
// /readyz and /metrics should report about each.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "observe/component_probe.hpp"
#include "primesync/config.hpp"
#include "primesync/notifier.hpp"
#include "primesync/store.hpp"

namespace primesync::app {

struct Adapters {
  std::unique_ptr<Store> store;
  std::vector<std::unique_ptr<Notifier>> notifiers;
  std::vector<observe::ComponentProbe> probes;
  std::string description;  // for the start-up log line

  [[nodiscard]] std::vector<Notifier*> notifier_pointers() const;
};

// Opens what `config` selects (sync.adapters.*). Throws StoreUnavailable when the
// store cannot be opened, std::invalid_argument for a malformed adapter setting.
[[nodiscard]] Adapters open_adapters(const Config& config);

}  // namespace primesync::app
