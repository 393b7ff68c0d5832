#include "push/engine_io_packet.hpp"

#include "protocol/json_writer.hpp"

namespace primesync::push {
namespace {

constexpr char record_separator = '\x1e';

// Percent-decoding is not needed: the values the hub reads are digits, words and
// the sids it issued itself (URL-safe characters only).
std::string_view query_value(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const std::size_t end = query.find('&');
    const std::string_view pair = query.substr(0, end);
    const std::size_t equals = pair.find('=');
    if (pair.substr(0, equals) == name) {
      return equals == std::string_view::npos ? std::string_view{} : pair.substr(equals + 1);
    }
    if (end == std::string_view::npos) break;
    query.remove_prefix(end + 1);
  }
  return {};
}

}  // namespace

std::optional<EnginePacket> parse_engine_packet(std::string_view text) noexcept {
  if (text.empty() || text[0] < '0' || text[0] > '6') return std::nullopt;
  return EnginePacket{static_cast<EnginePacketType>(text[0]), text.substr(1)};
}

std::vector<std::string_view> split_polling_body(std::string_view body) {
  std::vector<std::string_view> packets;
  while (!body.empty()) {
    const std::size_t end = body.find(record_separator);
    if (end != 0) packets.push_back(body.substr(0, end));
    if (end == std::string_view::npos) break;
    body.remove_prefix(end + 1);
  }
  return packets;
}

void append_polling_packet(std::string& body, std::string_view packet) {
  if (!body.empty()) body.push_back(record_separator);
  body.append(packet);
}

std::string encode_open_packet(const OpenParameters& parameters) {
  std::string out(1, static_cast<char>(EnginePacketType::open));
  protocol::JsonWriter writer{protocol::StringSink(out)};
  writer.begin_object().key("sid").string(parameters.sid).key("upgrades").begin_array();
  if (parameters.offer_websocket_upgrade) writer.string("websocket");
  writer.end_array()
      .key("pingInterval")
      .integer(parameters.ping_interval.count())
      .key("pingTimeout")
      .integer(parameters.ping_timeout.count())
      .key("maxPayload")
      .integer(parameters.max_payload)
      .end_object();
  return out;
}

EngineQuery parse_engine_query(std::string_view target) {
  const std::size_t question = target.find('?');
  if (question == std::string_view::npos) return {};
  const std::string_view query = target.substr(question + 1);
  return EngineQuery{std::string(query_value(query, "EIO")),
                     std::string(query_value(query, "transport")),
                     std::string(query_value(query, "sid"))};
}

std::string encode_engine_error(EngineError error) {
  std::string_view message;
  switch (error) {
    case EngineError::unknown_transport:
      message = "Transport unknown";
      break;
    case EngineError::unknown_sid:
      message = "Session ID unknown";
      break;
    case EngineError::bad_handshake_method:
      message = "Bad handshake method";
      break;
    case EngineError::bad_request:
      message = "Bad request";
      break;
    case EngineError::forbidden:
      message = "Forbidden";
      break;
    case EngineError::unsupported_protocol_version:
      message = "Unsupported protocol version";
      break;
  }
  std::string out;
  protocol::JsonWriter writer{protocol::StringSink(out)};
  writer.begin_object()
      .key("code")
      .integer(static_cast<int>(error))
      .key("message")
      .string(message)
      .end_object();
  return out;
}

}  // namespace primesync::push
