// A ServiceEnvironment for tests: the settable clock, counting ids and the real
// notification encoder (so message sizes are the real ones). Header-only because
// only tests that link `primesync` (which holds the encoder) include it.
#pragma once

#include "primesync/sync_service.hpp"
#include "protocol/notification_encoder.hpp"
#include "support/clock.hpp"
#include "sync/notifications.hpp"

namespace primesync::testing {

[[nodiscard]] inline ServiceEnvironment fixed_environment(const FixedClock& clock,
                                                          const SequentialHex& ids) {
  return ServiceEnvironment{
      clock.function(), ids.function(),
      [](const Notification& notification) { return protocol::encode_notification(notification); },
      [](const Item& item) { return protocol::encoded_item_size(item); }};
}

// The codec the service builds from its environment (message ids are 16 random bytes).
[[nodiscard]] inline sync::NotificationCodec notification_codec(const SequentialHex& ids) {
  auto random_hex = ids.function();
  return sync::NotificationCodec{
      [](const Notification& notification) { return protocol::encode_notification(notification); },
      [](const Item& item) { return protocol::encoded_item_size(item); },
      [random_hex] { return random_hex(16); }};
}

}  // namespace primesync::testing
