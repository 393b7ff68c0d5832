#include "push/polling_transport.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/field.hpp>

#include "push/engine_error_response.hpp"
#include "push/engine_io_packet.hpp"
#include "push/push_hub.hpp"

namespace primesync::push {
namespace {

namespace asio = boost::asio;
namespace beast_http = boost::beast::http;

constexpr std::string_view engine_protocol = "4";
constexpr std::string_view text_type = "text/plain; charset=UTF-8";

http::Response respond(const http::Request& request, std::string body) {
  http::Response response{beast_http::status::ok, request.version()};
  response.set(beast_http::field::content_type, text_type);
  response.set(beast_http::field::cache_control, "no-store");
  response.body() = std::move(body);
  return response;
}

}  // namespace

asio::awaitable<http::Response> serve_polling_request(PushHub& hub, http::Request& request) {
  const EngineQuery query = parse_engine_query(request.target());
  if (query.protocol != engine_protocol) {
    co_return engine_error_response(request, EngineError::unsupported_protocol_version);
  }
  if (query.transport != "polling")
    co_return engine_error_response(request, EngineError::unknown_transport);
  const PushConfig& config = hub.config();

  if (query.sid.empty()) {
    if (request.method() != beast_http::verb::get) {
      co_return engine_error_response(request, EngineError::bad_handshake_method);
    }
    const asio::any_io_executor executor = co_await asio::this_coro::executor;
    auto socket = hub.open_socket(executor, DeviceSocket::Transport::polling, request);
    if (!socket) co_return engine_error_response(request, EngineError::forbidden);
    co_return respond(
        request, encode_open_packet(OpenParameters{socket->sid(), true, config.ping_interval,
                                                   config.ping_timeout, config.max_payload_bytes}));
  }

  auto socket = hub.find(query.sid);
  if (!socket) co_return engine_error_response(request, EngineError::unknown_sid);

  if (request.method() == beast_http::verb::get) {
    auto poll = on_socket_thread<std::optional<std::string>>(
        socket, [](DeviceSocket& device) { return device.poll(); });
    auto body = co_await std::move(poll);
    if (!body) co_return engine_error_response(request, EngineError::bad_request);
    co_return respond(request, std::move(*body));
  }
  if (request.method() != beast_http::verb::post) {
    co_return engine_error_response(request, EngineError::bad_request);
  }
  if (request.body().size() > config.max_payload_bytes) {
    auto close = on_socket_thread<void>(socket, [&hub](DeviceSocket& device) {
      PushCounters::bump(hub.counters().protocol_errors);
      device.close(DeviceSocket::CloseReason::protocol);
    });
    co_await std::move(close);
    co_return engine_error_response(request, EngineError::bad_request);
  }
  // A close packet ends the session; the reference server still answers "ok".
  auto receive =
      on_socket_thread<void>(socket, [body = std::move(request.body())](DeviceSocket& device) {
        for (std::string_view packet : split_polling_body(body)) {
          if (!device.receive(packet)) break;
        }
      });
  co_await std::move(receive);
  co_return respond(request, "ok");
}

}  // namespace primesync::push
