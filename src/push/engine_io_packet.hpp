// Engine.IO protocol 4 packets (the transport under socket.io): a one-character
// type followed by a text payload; a polling body carries several packets joined
// by the record separator 0x1e. Binary packets are not used by the push hub.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace primesync::push {

enum class EnginePacketType : char {
  open = '0',
  close = '1',
  ping = '2',
  pong = '3',
  message = '4',
  upgrade = '5',
  noop = '6',
};

struct EnginePacket {
  EnginePacketType type = EnginePacketType::noop;
  std::string_view payload;
};

// Nullopt for an empty text or an unknown type.
[[nodiscard]] std::optional<EnginePacket> parse_engine_packet(std::string_view text) noexcept;

// The packets of a polling request body (empty ones dropped).
[[nodiscard]] std::vector<std::string_view> split_polling_body(std::string_view body);

// Appends `packet` to a polling response body, with the separator when needed.
void append_polling_packet(std::string& body, std::string_view packet);

// What the open packet announces to the client.
struct OpenParameters {
  std::string_view sid;
  bool offer_websocket_upgrade = false;
  std::chrono::milliseconds ping_interval{0};
  std::chrono::milliseconds ping_timeout{0};
  std::size_t max_payload = 0;
};

// `0{"sid":..,"upgrades":[..],"pingInterval":..,"pingTimeout":..,"maxPayload":..}`
[[nodiscard]] std::string encode_open_packet(const OpenParameters& parameters);

// The query parameters of an Engine.IO request (`EIO`, `transport`, `sid`), read
// from a request target such as `/socket.io/?EIO=4&transport=polling&t=N`.
struct EngineQuery {
  std::string protocol;   // EIO
  std::string transport;  // polling | websocket
  std::string sid;        // empty on a handshake
};
[[nodiscard]] EngineQuery parse_engine_query(std::string_view target);

// The error bodies the reference server answers with ({"code":N,"message":..}).
enum class EngineError : int {
  unknown_transport = 0,
  unknown_sid = 1,
  bad_handshake_method = 2,
  bad_request = 3,
  forbidden = 4,
  unsupported_protocol_version = 5,
};
[[nodiscard]] std::string encode_engine_error(EngineError error);

}  // namespace primesync::push
