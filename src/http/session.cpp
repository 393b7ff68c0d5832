#include "http/session.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <tuple>
#include <utility>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "http/handler.hpp"
#include "http/http_date.hpp"
#include "http/push_front.hpp"
#include "http/request_limits.hpp"
#include "http/response_head.hpp"

namespace primesync::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using boost::system::error_code;
using tcp = asio::ip::tcp;

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

// Room for at most this many times server.readBufferBytes of a body is made at
// once (Beast reads at most 64 KiB at a time anyway, and a 32 MiB body must not
// cost a 32 MiB buffer beside its string); a buffer grown past it is given back.
constexpr std::size_t kReadAheadFactor = 4;
// After a 413 or 400 we keep reading (and dropping) what the client still sends
// for a short while, so that closing does not reset the connection before the
// client has read the answer (what nginx calls a lingering close).
constexpr std::chrono::milliseconds kMaxLinger{2000};
constexpr std::size_t kMaxLingerBytes = 4U << 20U;

void log_error(const char* what, const std::string& detail) {
  std::fprintf(stderr, "primesync http: %s: %s\n", what, detail.c_str());
}

bool is_http_error(const error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category();
}

bool expects_continue(const Request& request) {
  const auto expect = request[bhttp::field::expect];
  return request.version() >= 11 && beast::iequals(expect, "100-continue");
}

}  // namespace

class Session {
 public:
  Session(tcp::socket socket, const SessionEnvironment& environment, SessionRegistry& registry)
      : stream_(std::move(socket)),
        environment_(environment),
        registry_(registry),
        registration_(registry.add(this)) {
    ServerCounters::bump(environment_.counters.connections_accepted);
    ServerCounters::bump(environment_.counters.connections_active);
  }

  ~Session() {
    environment_.counters.connections_active.fetch_sub(1, std::memory_order_relaxed);
    registry_.remove(registration_);
  }

  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  asio::awaitable<void> run();

  // From the registry, on this session's thread.
  void cancel_if_idle() {
    if (idle_) stream_.cancel();
  }
  void close() { stream_.close(); }

 private:
  enum class Next { keep_going, close, linger_close, taken_over };

  asio::awaitable<bool> wait_for_request();
  asio::awaitable<Next> serve_one_request();
  asio::awaitable<Next> refuse(const error_code& read_error, const RequestMessageParser& parser);
  asio::awaitable<Response> respond(Request& request);
  asio::awaitable<bool> write(Response& response, unsigned version, bool keep_alive);
  asio::awaitable<void> linger_close();
  void shutdown_send();
  void reserve_for_body(const RequestMessageParser& parser);
  void release_large_buffer();

  const ServerConfig& config() const { return environment_.config; }
  std::size_t read_ahead_bytes() const { return kReadAheadFactor * config().read_buffer_bytes; }
  bool wants_websocket(const Request& request) const {
    if (environment_.push == nullptr || !beast::websocket::is_upgrade(request)) return false;
    const std::string_view target = request.target();
    return target.substr(0, target.find('?')) == PushFront::path;
  }
  ServerCounters& counters() { return environment_.counters; }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::string head_;  // the response head being written (its capacity is kept)
  const SessionEnvironment& environment_;
  SessionRegistry& registry_;
  std::list<Session*>::iterator registration_;
  // Nothing is owed to the peer (waiting for a next request, or draining after
  // a refusal): a graceful stop may cancel the session at once.
  bool idle_ = false;
};

asio::awaitable<void> Session::run() {
  Next next = Next::keep_going;
  while (next == Next::keep_going) {
    if (!co_await wait_for_request()) break;
    next = co_await serve_one_request();
  }
  if (next == Next::taken_over) co_return;  // the socket belongs to the push hub
  if (next == Next::linger_close) {
    co_await linger_close();
  } else {
    shutdown_send();
  }
  stream_.close();
}

// Waits for the first byte of the next request under idle_timeout (unless a
// pipelined one is already buffered). False when the connection should close.
asio::awaitable<bool> Session::wait_for_request() {
  if (buffer_.size() > 0) co_return true;
  if (environment_.stopping.load(std::memory_order_relaxed)) co_return false;

  idle_ = true;
  stream_.expires_after(config().idle_timeout);
  auto [ec, bytes] =
      co_await stream_.async_read_some(buffer_.prepare(config().read_buffer_bytes), kNoThrow);
  idle_ = false;
  if (ec) {
    // End of stream, a reset, or stop() cancelling us: a normal close.
    if (ec == beast::error::timeout) ServerCounters::bump(counters().idle_timeouts);
    co_return false;
  }
  buffer_.commit(bytes);
  co_return true;
}

// Reads one request (read_timeout from its first byte to its last), answers it.
asio::awaitable<Session::Next> Session::serve_one_request() {
  // A fresh parser per message: limits and state never leak between requests.
  RequestMessageParser parser;
  limit_request_parser(parser, config().body_limit);

  stream_.expires_after(config().read_timeout);
  auto [ec, header_bytes] = co_await bhttp::async_read_header(stream_, buffer_, parser, kNoThrow);
  if (!ec && expects_continue(parser.get()) && !parser.is_done()) {
    // The body is within the limit (Beast checks Content-Length with the header).
    bhttp::response<bhttp::empty_body> go_on{bhttp::status::continue_, 11};
    std::tie(ec, std::ignore) = co_await bhttp::async_write(stream_, go_on, kNoThrow);
  }
  if (!ec && !parser.is_done()) {
    reserve_for_body(parser);
    std::tie(ec, std::ignore) = co_await bhttp::async_read(stream_, buffer_, parser, kNoThrow);
  }
  if (ec) co_return co_await refuse(ec, parser);
  release_large_buffer();

  Request request = parser.release();
  ServerCounters::bump(counters().requests);
  if (wants_websocket(request)) {
    // An idle push connection lives for hours: it keeps none of the HTTP buffers.
    buffer_ = beast::flat_buffer{};
    head_ = std::string{};
    // A named awaitable: GCC 12 destroys a co_await expression's temporaries twice.
    auto push_session =
        environment_.push->take_over_websocket(stream_.release_socket(), std::move(request));
    co_await std::move(push_session);
    co_return Next::taken_over;
  }
  Response response = co_await respond(request);

  const bool keep_alive = request.keep_alive() && response.keep_alive() &&
                          !environment_.stopping.load(std::memory_order_relaxed);
  if (!co_await write(response, request.version(), keep_alive)) co_return Next::close;
  co_return keep_alive ? Next::keep_going : Next::close;
}

// A read failed: answer what deserves an answer, close quietly otherwise.
asio::awaitable<Session::Next> Session::refuse(const error_code& read_error,
                                               const RequestMessageParser& parser) {
  const Request* partial = parser.is_header_done() ? &parser.get() : nullptr;
  const unsigned version = partial != nullptr ? partial->version() : 11;
  std::optional<Response> answer;

  if (read_error == bhttp::error::body_limit) {
    ServerCounters::bump(counters().rejected_too_large);
    answer = environment_.handler.reject(
        Error::payload_too_large,
        "request body is larger than " + std::to_string(config().body_limit) + " bytes", partial);
  } else if (read_error == bhttp::error::end_of_stream ||
             read_error == bhttp::error::partial_message) {
    co_return Next::close;  // the client went away
  } else if (read_error == bhttp::error::header_limit) {
    ServerCounters::bump(counters().bad_requests);
    answer = environment_.handler.reject(Error::bad_request, "request header too large", partial);
  } else if (is_http_error(read_error)) {
    ServerCounters::bump(counters().bad_requests);
    answer = environment_.handler.reject(
        Error::bad_request, "malformed HTTP request: " + read_error.message(), partial);
  } else {
    // Timeout, reset, or the socket closed by the end of the shutdown grace.
    if (read_error == beast::error::timeout) ServerCounters::bump(counters().read_timeouts);
    co_return Next::close;
  }

  if (!co_await write(*answer, version, false)) co_return Next::close;
  co_return Next::linger_close;
}

asio::awaitable<Response> Session::respond(Request& request) {
  std::string failure;
  try {
    co_return co_await environment_.handler.handle(request);
  } catch (const std::exception& error) {
    failure = error.what();
  } catch (...) {
    failure = "unknown exception";
  }
  ServerCounters::bump(counters().handler_errors);
  log_error("handler failed", failure);
  co_return environment_.handler.reject(Error::internal, "internal error", &request);
}

// Adds what the transport owns (Date, Server, Connection, Content-Length) and
// writes the response. False when the write failed.
asio::awaitable<bool> Session::write(Response& response, unsigned version, bool keep_alive) {
  // The head written by hand and sent with the body in one gathered write: Beast's
  // serializer and the header fields it would need cost more than the whole check.
  head_.clear();
  append_response_head(head_, response, version, keep_alive, http_date_now());
  std::array<asio::const_buffer, 2> message{asio::buffer(head_), asio::const_buffer{}};
  if (response_has_content(response.result_int())) message[1] = asio::buffer(response.body());

  // No separate write timeout in the config: a reader as slow as read_timeout
  // allows for a request is cut off.
  stream_.expires_after(config().read_timeout);
  auto [ec, bytes] = co_await asio::async_write(stream_, message, kNoThrow);
  co_return !ec;
}

asio::awaitable<void> Session::linger_close() {
  shutdown_send();
  idle_ = true;
  stream_.expires_after(std::min<std::chrono::milliseconds>(config().read_timeout, kMaxLinger));
  std::size_t drained = 0;
  while (drained < kMaxLingerBytes) {
    buffer_.clear();
    auto [ec, bytes] =
        co_await stream_.async_read_some(buffer_.prepare(config().read_buffer_bytes), kNoThrow);
    if (ec) break;
    drained += bytes;
  }
  idle_ = false;
}

// Beast reads as much as the buffer has room for: room for the rest of the body,
// by its Content-Length, makes a typical body one read.
void Session::reserve_for_body(const RequestMessageParser& parser) {
  const auto content_length = parser.content_length_remaining();
  if (!content_length) return;
  buffer_.reserve(buffer_.size() + std::min<std::size_t>(*content_length, read_ahead_bytes()));
}

void Session::release_large_buffer() {
  if (buffer_.size() == 0 && buffer_.capacity() > read_ahead_bytes()) {
    buffer_.shrink_to_fit();
  }
}

void Session::shutdown_send() {
  error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

std::list<Session*>::iterator SessionRegistry::add(Session* session) {
  return sessions_.insert(sessions_.end(), session);
}

void SessionRegistry::remove(std::list<Session*>::iterator position) {
  sessions_.erase(position);
  if (sessions_.empty() && on_empty_) on_empty_();
}

void SessionRegistry::cancel_idle() {
  // Cancellation completes later, so the list does not change under us.
  for (Session* session : sessions_) session->cancel_if_idle();
}

void SessionRegistry::close_all() {
  for (Session* session : sessions_) session->close();
}

asio::awaitable<void> run_session(tcp::socket socket, const SessionEnvironment& environment,
                                  SessionRegistry& registry) {
  Session session(std::move(socket), environment, registry);
  co_await session.run();
}

}  // namespace primesync::http
