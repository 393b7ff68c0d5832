#include "protocol/notification_encoder.hpp"

#include "protocol/json_writer.hpp"
#include "protocol/response_encoder.hpp"

namespace primesync::protocol {
namespace {

enum class ServerDataMode { as_given, empty };

template <typename Sink>
void write_notification(BasicJsonWriter<Sink>& writer, const Notification& notification,
                        ServerDataMode mode) {
  writer.begin_object();
  writer.key("msgId").string(notification.msg_id);
  writer.key("type").string(notification_type_name(notification.type));
  writer.key("userId").string(notification.user_id);
  writer.key("devices").begin_array();
  for (const std::string& device : notification.devices) writer.string(device);
  writer.end_array();

  writer.key("data").begin_object();
  if (notification.nonce) writer.key("nonce").integer(*notification.nonce);
  writer.key("pwdHash").string(notification.pwd_hash);
  if (notification.lock) {
    writer.key("lock");
    write_item(writer, *notification.lock);
  }
  if (mode == ServerDataMode::empty) {
    writer.key("serverData").begin_array().end_array();
  } else if (notification.server_data) {
    writer.key("serverData").begin_array();
    for (const ItemPtr& item : *notification.server_data) write_item(writer, *item);
    writer.end_array();
  }
  writer.end_object();
  writer.end_object();
}

}  // namespace

std::string_view notification_type_name(NotificationType type) noexcept {
  switch (type) {
    case NotificationType::config_change:
      return "CONFIG_CHANGE";
    case NotificationType::config_flush:
      return "CONFIG_FLUSH";
    case NotificationType::lock_change:
      return "LOCK_CHANGE";
  }
  return "CONFIG_CHANGE";
}

std::string encode_notification(const Notification& notification) {
  constexpr std::size_t fixed_overhead = 160;  // names and punctuation
  std::size_t hint = fixed_overhead + notification.msg_id.size() + notification.user_id.size() +
                     notification.pwd_hash.size();
  for (const std::string& device : notification.devices) hint += device.size() + 3;
  if (notification.lock) hint += estimated_item_size(*notification.lock);
  if (notification.server_data) {
    for (const ItemPtr& item : *notification.server_data) hint += estimated_item_size(*item);
  }
  std::string message;
  message.reserve(hint);
  JsonWriter writer{StringSink(message)};
  write_notification(writer, notification, ServerDataMode::as_given);
  return message;
}

std::size_t encoded_item_size(const Item& item) {
  JsonSizer sizer{CountingSink{}};
  write_item(sizer, item);
  return sizer.sink().size();
}

std::size_t encoded_notification_overhead(const Notification& notification) {
  JsonSizer sizer{CountingSink{}};
  write_notification(sizer, notification, ServerDataMode::empty);
  return sizer.sink().size();
}

}  // namespace primesync::protocol
