// What the HTTP transport hands to the push hub (src/push): the socket.io path's
// long-polling requests, WebSocket upgrades on that path, and acknowledgements
// posted over HTTP. The transport knows nothing of Engine.IO or socket.io.
#pragma once

#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "http/types.hpp"

namespace primesync::http {

class PushFront {
 public:
  // The path the app's socket.io client uses by default.
  static constexpr std::string_view path = "/socket.io/";

  virtual ~PushFront() = default;

  // An Engine.IO polling request (GET waits for packets, POST delivers them); runs
  // on the connection's executor and may wait up to the heartbeat interval.
  virtual boost::asio::awaitable<Response> handle_polling(Request& request) = 0;

  // A WebSocket upgrade on `path`: the hub owns the connection from now on and
  // serves it until it closes; runs on the connection's executor.
  virtual boost::asio::awaitable<void> take_over_websocket(boost::asio::ip::tcp::socket socket,
                                                           Request request) = 0;

  // `POST /notification/v1/message/ack`: the device `instance_id` (may be empty)
  // has message `message_id`.
  virtual void acknowledge(std::string_view instance_id, std::string_view message_id) = 0;

  // The server is stopping: close every push connection. Thread-safe, idempotent.
  virtual void stop() = 0;
};

}  // namespace primesync::http
