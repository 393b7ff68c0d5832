#include "push/websocket_transport.hpp"

// GCC 12 reports Asio's coroutine frame allocator (operator new paired with its
// own aligned free) as mismatched in a coroutine this large; a false positive.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "push/engine_error_response.hpp"
#include "push/engine_io_packet.hpp"
#include "push/push_hub.hpp"

namespace primesync::push {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
namespace beast_http = boost::beast::http;
using WebSocket = websocket::stream<beast::tcp_stream>;
constexpr auto no_throw = asio::as_tuple(asio::use_awaitable);

constexpr std::string_view engine_protocol = "4";
constexpr std::string_view probe = "probe";

void close_transport(DeviceSocket& device) {
  device.close(DeviceSocket::CloseReason::transport);
}

void abandon_upgrade(DeviceSocket& device) {
  device.abandon_upgrade();
}

// Refuses the upgrade with an HTTP error, as the reference server does.
asio::awaitable<void> refuse(asio::ip::tcp::socket& socket, const http::Request& request,
                             EngineError error, std::chrono::milliseconds timeout) {
  beast::tcp_stream stream(std::move(socket));
  http::Response response = engine_error_response(request, error);
  response.keep_alive(false);
  response.prepare_payload();
  stream.expires_after(timeout);
  co_await beast_http::async_write(stream, response, no_throw);
  beast::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
}

// Sends the session's packets until it closes, then closes the WebSocket.
asio::awaitable<void> write_packets(WebSocket& ws, std::shared_ptr<DeviceSocket> socket) {
  for (;;) {
    auto next = on_socket_thread<DeviceSocket::SharedText>(
        socket, [](DeviceSocket& device) { return device.next_outgoing(); });
    const DeviceSocket::SharedText packet = co_await std::move(next);
    if (!packet) break;
    auto [ec, written] = co_await ws.async_write(asio::buffer(*packet), no_throw);
    if (ec) break;
  }
  if (ws.is_open()) co_await ws.async_close(websocket::close_code::normal, no_throw);
}

// Hands each frame to the session until either side closes.
asio::awaitable<void> read_packets(WebSocket& ws, const std::shared_ptr<DeviceSocket>& socket) {
  beast::flat_buffer buffer;
  for (;;) {
    auto [ec, bytes] = co_await ws.async_read(buffer, no_throw);
    if (ec) break;
    std::string text = beast::buffers_to_string(buffer.data());
    buffer.consume(buffer.size());
    auto receive = on_socket_thread<bool>(
        socket, [text = std::move(text)](DeviceSocket& device) { return device.receive(text); });
    if (!co_await std::move(receive)) break;
  }
}

// The upgrade of a polling session: answer probes until the client commits with
// the upgrade packet. False when the connection ended first.
asio::awaitable<bool> complete_upgrade(WebSocket& ws, const std::shared_ptr<DeviceSocket>& socket) {
  beast::flat_buffer buffer;
  for (;;) {
    auto [ec, bytes] = co_await ws.async_read(buffer, no_throw);
    if (ec) co_return false;
    std::string text = beast::buffers_to_string(buffer.data());
    buffer.consume(buffer.size());
    const auto packet = parse_engine_packet(text);
    if (packet && packet->type == EnginePacketType::ping && packet->payload == probe) {
      const std::string answer = static_cast<char>(EnginePacketType::pong) + std::string(probe);
      auto [write_error, written] = co_await ws.async_write(asio::buffer(answer), no_throw);
      if (write_error) co_return false;
      auto upgrading =
          on_socket_thread<void>(socket, [](DeviceSocket& device) { device.begin_upgrade(); });
      co_await std::move(upgrading);
      continue;
    }
    const bool upgraded = packet && packet->type == EnginePacketType::upgrade;
    auto receive =
        on_socket_thread<bool>(socket, [upgraded, text = std::move(text)](DeviceSocket& device) {
          if (device.closed()) return false;
          if (!upgraded) return device.receive(text);
          device.upgrade_to_websocket();
          return true;
        });
    if (!co_await std::move(receive)) co_return false;
    if (upgraded) co_return true;
  }
}

}  // namespace

asio::awaitable<void> serve_websocket(PushHub& hub, asio::ip::tcp::socket tcp_socket,
                                      http::Request request) {
  const PushConfig& config = hub.config();
  const EngineQuery query = parse_engine_query(request.target());
  if (query.protocol != engine_protocol) {
    co_return co_await refuse(tcp_socket, request, EngineError::unsupported_protocol_version,
                              config.ping_timeout);
  }
  if (query.transport != "websocket") {
    co_return co_await refuse(tcp_socket, request, EngineError::unknown_transport,
                              config.ping_timeout);
  }
  const bool upgrade = !query.sid.empty();
  const asio::any_io_executor executor = co_await asio::this_coro::executor;
  auto socket = upgrade ? hub.find(query.sid)
                        : hub.open_socket(executor, DeviceSocket::Transport::websocket, request);
  if (!socket) {
    co_return co_await refuse(tcp_socket, request,
                              upgrade ? EngineError::unknown_sid : EngineError::forbidden,
                              config.ping_timeout);
  }

  WebSocket ws(std::move(tcp_socket));
  websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = config.ping_timeout;
  // The Engine.IO heartbeat keeps a live device talking; this only ends a dead one
  // whose session already timed out.
  timeouts.idle_timeout = config.ping_interval + config.ping_timeout;
  timeouts.keep_alive_pings = false;
  ws.set_option(timeouts);
  ws.read_message_max(config.max_payload_bytes);
  ws.set_option(websocket::stream_base::decorator([](websocket::response_type& response) {
    response.set(beast_http::field::server, "primesync");
  }));

  auto [accept_error] = co_await ws.async_accept(request, no_throw);
  request = http::Request{};  // an idle push connection keeps no headers
  bool serving = !accept_error;
  if (serving && upgrade) serving = co_await complete_upgrade(ws, socket);
  if (!serving) {
    // A failed upgrade leaves the session on polling; a new session ends with it.
    auto give_up = on_socket_thread<void>(socket, upgrade ? abandon_upgrade : close_transport);
    co_await std::move(give_up);
    co_return;
  }

  // The writer runs beside the reader; the frame below outlives it (we wait).
  asio::steady_timer writer_finished(executor, asio::steady_timer::time_point::max());
  bool writer_running = true;
  asio::co_spawn(executor, write_packets(ws, socket), [&](const std::exception_ptr&) {
    writer_running = false;
    writer_finished.cancel();
  });
  co_await read_packets(ws, socket);
  auto close = on_socket_thread<void>(socket, close_transport);
  co_await std::move(close);
  while (writer_running) co_await writer_finished.async_wait(no_throw);
  beast::error_code ignored;
  beast::get_lowest_layer(ws).socket().close(ignored);
}

}  // namespace primesync::push
