// socket.io protocol 5 packets, carried in Engine.IO message packets:
// `<type>[<namespace>,][<ack id>][<JSON data>]`, e.g. `0{"instanceId":"x"}` (connect
// with auth), `2["ack",{"msgId":"m"}]` (event), `21["ack",..]` (event wanting an
// ack), `31[..]` (ack). Only the default namespace "/" is served.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace primesync::push {

enum class SocketPacketType : char {
  connect = '0',
  disconnect = '1',
  event = '2',
  ack = '3',
  connect_error = '4',
  binary_event = '5',
  binary_ack = '6',
};

struct SocketPacket {
  SocketPacketType type = SocketPacketType::event;
  std::string_view name_space = "/";
  std::optional<std::uint64_t> ack_id;
  std::string_view data;  // JSON text, empty when absent
};

// Nullopt when the text is not a socket.io packet.
[[nodiscard]] std::optional<SocketPacket> parse_socket_packet(std::string_view text) noexcept;

// An event's name and its first argument (raw JSON, empty when none), from the
// data of an event packet (`["name", arg, ...]`). Nullopt when malformed.
struct SocketEvent {
  std::string name;
  std::string first_argument;
};
[[nodiscard]] std::optional<SocketEvent> parse_socket_event(std::string_view data);

// Engine.IO message packets ("4" + socket.io packet) for what the hub sends.
[[nodiscard]] std::string encode_connect_reply(std::string_view socket_id);
[[nodiscard]] std::string encode_connect_error(std::string_view name_space,
                                               std::string_view message);
[[nodiscard]] std::string encode_event(std::string_view name, std::string_view argument_json);
[[nodiscard]] std::string encode_ack(std::uint64_t ack_id, std::string_view arguments_json);

}  // namespace primesync::push
