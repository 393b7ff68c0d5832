#include "push/socket_io_packet.hpp"

#include <simdjson.h>

#include <charconv>

#include "protocol/json_writer.hpp"
#include "push/engine_io_packet.hpp"

namespace primesync::push {
namespace {

constexpr char engine_message = static_cast<char>(EnginePacketType::message);
constexpr std::string_view default_name_space = "/";

std::string message_packet(SocketPacketType type) {
  return std::string{engine_message, static_cast<char>(type)};
}

}  // namespace

std::optional<SocketPacket> parse_socket_packet(std::string_view text) noexcept {
  if (text.empty() || text[0] < '0' || text[0] > '6') return std::nullopt;
  SocketPacket packet;
  packet.type = static_cast<SocketPacketType>(text[0]);
  text.remove_prefix(1);
  if (packet.type == SocketPacketType::binary_event ||
      packet.type == SocketPacketType::binary_ack) {
    return std::nullopt;  // attachments are never part of the push protocol
  }
  if (!text.empty() && text[0] == '/') {
    const std::size_t comma = text.find(',');
    packet.name_space = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
  }
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  if (digits > 0) {
    std::uint64_t id = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + digits, id);
    if (error != std::errc{}) return std::nullopt;
    packet.ack_id = id;
    text.remove_prefix(digits);
  }
  packet.data = text;
  return packet;
}

std::optional<SocketEvent> parse_socket_event(std::string_view data) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(data.data(), data.size()).get(root) != simdjson::SUCCESS) return std::nullopt;
  simdjson::dom::array array;
  if (root.get_array().get(array) != simdjson::SUCCESS) return std::nullopt;
  SocketEvent event;
  bool first = true;
  for (simdjson::dom::element element : array) {
    if (first) {
      std::string_view name;
      if (element.get_string().get(name) != simdjson::SUCCESS) return std::nullopt;
      event.name = std::string(name);
      first = false;
      continue;
    }
    event.first_argument = simdjson::minify(element);
    break;
  }
  if (first) return std::nullopt;
  return event;
}

std::string encode_connect_reply(std::string_view socket_id) {
  std::string out = message_packet(SocketPacketType::connect);
  protocol::JsonWriter writer{protocol::StringSink(out)};
  writer.begin_object().key("sid").string(socket_id).end_object();
  return out;
}

std::string encode_connect_error(std::string_view name_space, std::string_view message) {
  std::string out = message_packet(SocketPacketType::connect_error);
  if (name_space != default_name_space) out.append(name_space).push_back(',');
  protocol::JsonWriter writer{protocol::StringSink(out)};
  writer.begin_object().key("message").string(message).end_object();
  return out;
}

std::string encode_event(std::string_view name, std::string_view argument_json) {
  std::string out = message_packet(SocketPacketType::event);
  protocol::JsonWriter writer{protocol::StringSink(out)};
  writer.begin_array().string(name);
  if (!argument_json.empty()) writer.raw_value(argument_json);
  writer.end_array();
  return out;
}

std::string encode_ack(std::uint64_t ack_id, std::string_view arguments_json) {
  std::string out = message_packet(SocketPacketType::ack);
  out.append(std::to_string(ack_id)).append(arguments_json);
  return out;
}

}  // namespace primesync::push
