// What the sync layer's plan_* functions need around them: a caller, a config,
// a clock, ids and a NotificationBuilder with the real encoder. Header-only for
// the same reason as service_environment.hpp.
#pragma once

#include <functional>
#include <string>

#include "primesync/config.hpp"
#include "support/clock.hpp"
#include "support/service_environment.hpp"
#include "sync/operations.hpp"

namespace primesync::testing {

struct PlanHarness {
  PlanHarness() = default;
  PlanHarness(const PlanHarness&) = delete;
  PlanHarness& operator=(const PlanHarness&) = delete;

  // Rebuilds the notification builder after a test changed the message limit.
  void set_max_message_bytes(std::size_t bytes) {
    config.limits.max_message_bytes = bytes;
    notifications = sync::NotificationBuilder(notification_codec(ids), bytes);
  }

  [[nodiscard]] sync::OperationContext context() const {
    return sync::OperationContext{caller, clock.now(), config, notifications, random_hex};
  }

  Config config;
  FixedClock clock;
  SequentialHex ids;
  std::function<std::string(std::size_t)> random_hex = ids.function();
  sync::NotificationBuilder notifications{notification_codec(ids), config.limits.max_message_bytes};
  Caller caller{"u1", true, "device-A"};
};

}  // namespace primesync::testing
