// A part of the server that /readyz and /metrics report on beside the sync service
// itself: the store, a notifier. The composition root makes one per component.
#pragma once

#include <functional>
#include <string>

namespace primesync::observe {

struct ComponentProbe {
  std::string name;  // "mongodb", "kafka"
  // /readyz answers 503 while a required component is down; an optional one (a
  // notifier: its outage never fails a request) is only reported.
  bool required = true;
  std::function<bool()> ready;                           // must not block
  std::function<void(std::string& out)> append_metrics;  // Prometheus text; may be empty
};

}  // namespace primesync::observe
