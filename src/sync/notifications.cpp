#include "sync/notifications.hpp"

namespace primesync::sync {

Notification NotificationBuilder::start(NotificationType type, const UserState& state,
                                        const UserRecord& user,
                                        std::string_view caller_instance) const {
  Notification notification;
  notification.type = type;
  notification.user_id = user.user_id;
  notification.pwd_hash = user.pwd_hash;
  if (!user.is_prime) return notification;
  for (const Device& device : state.devices) {
    if (device.instance_id != caller_instance) notification.devices.push_back(device.instance_id);
  }
  return notification;
}

void NotificationBuilder::queue(Notification notification, Millis now, WriteSet& writes) const {
  notification.msg_id = codec_.new_message_id();
  writes.outbox.push_back(OutboxEntry{0, notification.user_id, codec_.encode(notification), now});
}

void NotificationBuilder::config_change(const UserState& state, const UserRecord& user,
                                        std::string_view caller_instance,
                                        const std::vector<ItemPtr>& winners, Millis now,
                                        WriteSet& writes) const {
  Notification notification = start(NotificationType::config_change, state, user, caller_instance);
  if (notification.devices.empty() || winners.empty()) return;
  notification.nonce = user.nonce;
  notification.server_data.emplace();
  notification.msg_id = codec_.new_message_id();  // measured with an id as long as the real ones
  const std::size_t overhead = codec_.encode(notification).size();

  // Greedy split: fill a message until the next item would pass the limit. An
  // item too large for any message still goes, alone: nothing is dropped.
  std::vector<ItemPtr> chunk;
  std::size_t chunk_bytes = overhead;
  auto send_chunk = [&] {
    Notification message = notification;
    message.server_data = std::move(chunk);
    queue(std::move(message), now, writes);
    chunk = {};
    chunk_bytes = overhead;
  };
  for (const ItemPtr& item : winners) {
    const std::size_t item_bytes = codec_.item_size(*item);
    const std::size_t separator = chunk.empty() ? 0 : 1;  // the comma before it
    if (!chunk.empty() && chunk_bytes + separator + item_bytes > max_message_bytes_) send_chunk();
    chunk_bytes += item_bytes + (chunk.empty() ? 0 : 1);
    chunk.push_back(item);
  }
  if (!chunk.empty()) send_chunk();
}

void NotificationBuilder::config_flush(const UserState& state, const UserRecord& user,
                                       std::string_view caller_instance,
                                       const std::optional<Item>& lock, Millis now,
                                       WriteSet& writes) const {
  Notification notification = start(NotificationType::config_flush, state, user, caller_instance);
  if (notification.devices.empty()) return;
  notification.nonce = user.nonce;
  notification.lock = lock;
  notification.server_data.emplace();
  queue(std::move(notification), now, writes);
}

void NotificationBuilder::lock_change(const UserState& state, const UserRecord& user,
                                      std::string_view caller_instance, const Item& lock,
                                      Millis now, WriteSet& writes) const {
  Notification notification = start(NotificationType::lock_change, state, user, caller_instance);
  if (notification.devices.empty()) return;
  notification.lock = lock;
  queue(std::move(notification), now, writes);
}

}  // namespace primesync::sync
