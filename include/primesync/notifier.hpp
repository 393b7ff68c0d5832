// The notification seam: somewhere a committed change is announced (a Kafka topic,
// the devices connected to this server, or your own). Called from the outbox
// dispatcher's thread only.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "primesync/model.hpp"

namespace primesync {

class Notifier {
 public:
  virtual ~Notifier() = default;

  // A short name for logs and metrics ("kafka", "hub").
  [[nodiscard]] virtual std::string_view name() const = 0;

  // Delivers the entries (in sequence order) and reports which went through:
  // `delivered[i]` for `entries[i]`. Entries not delivered are retried later;
  // a notifier must not deliver a user's later entry when an earlier one of the
  // same user failed in this call. Must not throw for delivery failures.
  virtual void deliver(std::span<const OutboxEntry> entries, std::vector<bool>& delivered) = 0;
};

}  // namespace primesync
