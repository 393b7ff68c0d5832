#include "push/push_message.hpp"

#include <simdjson.h>

#include "protocol/json_writer.hpp"
#include "push/socket_io_packet.hpp"

namespace primesync::push {

ReadPushMessage read_push_message(std::string_view notification_json) {
  thread_local simdjson::dom::parser parser;
  auto failed = [](std::string error) { return ReadPushMessage{nullptr, std::move(error)}; };
  simdjson::dom::object root;
  if (parser.parse(notification_json.data(), notification_json.size()).get(root) !=
      simdjson::SUCCESS) {
    return failed("not a JSON object");
  }
  auto message = std::make_shared<PushMessage>();
  std::string_view text;
  if (root["msgId"].get_string().get(text) != simdjson::SUCCESS)
    return failed("msgId: expected string");
  message->message_id = std::string(text);
  if (root["userId"].get_string().get(text) != simdjson::SUCCESS) {
    return failed("userId: expected string");
  }
  message->user_id = std::string(text);
  std::string_view type;
  if (root["type"].get_string().get(type) != simdjson::SUCCESS)
    return failed("type: expected string");
  simdjson::dom::array devices;
  if (root["devices"].get_array().get(devices) != simdjson::SUCCESS) {
    return failed("devices: expected array");
  }
  for (simdjson::dom::element device : devices) {
    if (device.get_string().get(text) != simdjson::SUCCESS) {
      return failed("devices[]: expected string");
    }
    message->devices.emplace_back(text);
  }
  simdjson::dom::object data;
  if (root["data"].get_object().get(data) != simdjson::SUCCESS)
    return failed("data: expected object");

  // The event argument: {"msgId":..} followed by every field of `data`.
  std::string argument;
  protocol::JsonWriter writer{protocol::StringSink(argument)};
  writer.begin_object().key("msgId").string(message->message_id);
  for (const auto field : data) {
    if (field.key == "msgId") continue;
    writer.key(field.key).raw_value(simdjson::minify(field.value));
  }
  writer.end_object();
  message->packet = encode_event(type, argument);
  return ReadPushMessage{std::move(message), {}};
}

}  // namespace primesync::push
