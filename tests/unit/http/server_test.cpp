// Black-box tests of the transport: a real Server on 127.0.0.1:0 with a test
// Handler, driven by a Beast client. Every wait has a deadline; no blind sleeps.
#include "http/server.hpp"

#include <atomic>
#include <chrono>
#include <ctime>
#include <functional>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include "http/handler.hpp"

namespace primesync::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using boost::system::error_code;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

constexpr auto kDeadline = 5s;

// Polls `condition` until it holds or the deadline passes.
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds deadline = 5s) {
  const auto give_up = std::chrono::steady_clock::now() + deadline;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

// /echo answers the body back; /throw throws; /slow parks until release().
class TestHandler : public Handler {
 public:
  asio::awaitable<Response> handle(Request& request) override {
    if (request.target() == "/throw") throw std::runtime_error("handler exploded");
    if (request.target() == "/slow") {
      slow_entered_ = true;
      // A frame-local timer: released from the test thread via an atomic, so
      // nothing outlives the server's io_context.
      asio::steady_timer tick(co_await asio::this_coro::executor);
      while (!slow_released_) {
        tick.expires_after(2ms);
        co_await tick.async_wait(asio::use_awaitable);
      }
    }
    Response response{bhttp::status::ok, request.version()};
    response.set(bhttp::field::content_type, "text/plain");
    response.body() = request.body();
    co_return response;
  }

  Response reject(Error error, std::string_view message, const Request* /*request*/) override {
    auto status = bhttp::status::internal_server_error;
    if (error == Error::payload_too_large) status = bhttp::status::payload_too_large;
    if (error == Error::bad_request) status = bhttp::status::bad_request;
    Response response{status, 11};
    response.set(bhttp::field::content_type, "text/plain");
    response.body() = std::string(message);
    return response;
  }

  bool slow_entered() const { return slow_entered_; }
  void release_slow() { slow_released_ = true; }

 private:
  std::atomic<bool> slow_entered_{false};
  std::atomic<bool> slow_released_{false};
};

ServerConfig test_config() {
  ServerConfig config;
  config.listen = "127.0.0.1:0";
  config.threads = 2;  // exercises two acceptors sharing the port
  config.body_limit = 1024;
  config.read_timeout = 5s;
  config.idle_timeout = 5s;
  config.shutdown_timeout = 5s;
  return config;
}

// A Server started on construction and running on a background thread.
class RunningServer {
 public:
  RunningServer(const ServerConfig& config, Handler& handler) : server_(config, handler) {
    server_.start();
    finished_ = std::async(std::launch::async, [this] { server_.run(); });
  }
  ~RunningServer() {
    server_.stop();
    finished_.wait();
  }

  Server& server() { return server_; }
  bool run_returns_within(std::chrono::milliseconds deadline) {
    return finished_.wait_for(deadline) == std::future_status::ready;
  }

 private:
  Server server_;
  std::future<void> finished_;
};

// A blocking client whose every operation has a deadline.
class Client {
 public:
  explicit Client(unsigned short port) { connect_error_ = connect(port); }

  error_code connect_error() const { return connect_error_; }

  error_code write_raw(const std::string& bytes) {
    return run([&](auto done) { asio::async_write(stream_, asio::buffer(bytes), done); });
  }

  error_code send(bhttp::verb method, const std::string& target, const std::string& body = {}) {
    Request request{method, target, 11};
    request.set(bhttp::field::host, "localhost");
    request.body() = body;
    request.prepare_payload();
    return run([&](auto done) { bhttp::async_write(stream_, request, done); });
  }

  template <typename Body = bhttp::string_body>
  bhttp::response<Body> receive() {
    bhttp::response<Body> response;
    const error_code ec =
        run([&](auto done) { bhttp::async_read(stream_, buffer_, response, done); });
    EXPECT_FALSE(ec) << ec.message();
    return response;
  }

  // Reads until the server closes; the error says how (eof, reset or timeout).
  error_code wait_for_close() {
    for (;;) {
      buffer_.clear();
      const error_code ec =
          run([&](auto done) { stream_.async_read_some(buffer_.prepare(4096), done); });
      if (ec) return ec;
    }
  }

 private:
  error_code connect(unsigned short port) {
    const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
    return run([&](auto done) {
      stream_.async_connect(endpoint, [done](const error_code& ec) { done(ec, 0); });
    });
  }

  template <typename Start>
  error_code run(Start start) {
    error_code result = asio::error::would_block;
    stream_.expires_after(kDeadline);
    start([&result](const error_code& ec, std::size_t /*bytes*/) { result = ec; });
    io_.restart();
    io_.run();
    return result;
  }

  asio::io_context io_;
  beast::tcp_stream stream_{io_};
  beast::flat_buffer buffer_;
  error_code connect_error_;
};

bool connection_refused(unsigned short port) {
  return Client(port).connect_error() == asio::error::connection_refused;
}

bool closed_by_server(const error_code& ec) {
  return ec == asio::error::eof || ec == asio::error::connection_reset;
}

TEST(ServerTest, ReportsTheBoundPortForPortZero) {
  TestHandler handler;
  RunningServer running(test_config(), handler);
  ASSERT_NE(running.server().port(), 0);
  Client client(running.server().port());
  EXPECT_FALSE(client.connect_error());
}

TEST(ServerTest, RefusesAMalformedListenAddress) {
  TestHandler handler;
  ServerConfig config = test_config();
  config.listen = "localhost-8080";
  Server server(config, handler);
  try {
    server.start();
    FAIL() << "start() accepted " << config.listen;
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("localhost-8080"), std::string::npos) << error.what();
  }
}

TEST(ServerTest, KeepAliveServesTwoRequestsOnOneConnection) {
  TestHandler handler;
  RunningServer running(test_config(), handler);
  Client client(running.server().port());

  ASSERT_FALSE(client.send(bhttp::verb::post, "/echo", "first"));
  const auto first = client.receive();
  EXPECT_EQ(first.result(), bhttp::status::ok);
  EXPECT_EQ(first.body(), "first");
  EXPECT_TRUE(first.keep_alive());
  EXPECT_EQ(first[bhttp::field::server], "primesync");
  EXPECT_EQ(first[bhttp::field::content_length], "5");
  EXPECT_EQ(first[bhttp::field::content_type], "text/plain");  // the handler's, untouched

  ASSERT_FALSE(client.send(bhttp::verb::post, "/echo", "second"));
  EXPECT_EQ(client.receive().body(), "second");

  const ServerStats stats = running.server().stats();
  EXPECT_EQ(stats.connections_accepted, 1U);
  EXPECT_EQ(stats.requests, 2U);
}

TEST(ServerTest, AnswersPipelinedRequestsInOrder) {
  TestHandler handler;
  RunningServer running(test_config(), handler);
  Client client(running.server().port());

  ASSERT_FALSE(
      client.write_raw("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nfirst"
                       "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\nsecond"));
  EXPECT_EQ(client.receive().body(), "first");
  EXPECT_EQ(client.receive().body(), "second");
}

// A body larger than server.readBufferBytes is read by its Content-Length, in one
// piece or as the client trickles it; a large body then a small one share a connection.
TEST(ServerTest, BodiesLargerThanTheReadBufferArriveWhole) {
  TestHandler handler;
  ServerConfig config = test_config();
  config.body_limit = 64 * 1024;
  config.read_buffer_bytes = 1024;
  RunningServer running(config, handler);
  Client client(running.server().port());

  std::string large(40 * 1024, 'x');
  for (std::size_t i = 0; i < large.size(); i += 97) large[i] = static_cast<char>('a' + i % 26);
  ASSERT_FALSE(client.send(bhttp::verb::post, "/echo", large));
  EXPECT_EQ(client.receive().body(), large);

  const std::string header =
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(large.size()) +
      "\r\n\r\n";
  ASSERT_FALSE(client.write_raw(header + large.substr(0, 3000)));
  ASSERT_FALSE(client.write_raw(large.substr(3000)));
  EXPECT_EQ(client.receive().body(), large);

  ASSERT_FALSE(client.send(bhttp::verb::post, "/echo", "small"));
  EXPECT_EQ(client.receive().body(), "small");
  EXPECT_EQ(running.server().stats().connections_accepted, 1U);
}

TEST(ServerTest, DateHeaderIsTheCurrentImfFixdate) {
  TestHandler handler;
  RunningServer running(test_config(), handler);
  Client client(running.server().port());

  ASSERT_FALSE(client.send(bhttp::verb::get, "/echo"));
  const auto response = client.receive();
  const std::string date(response[bhttp::field::date]);
  std::tm parsed{};
  const char* end = strptime(date.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &parsed);
  ASSERT_NE(end, nullptr) << date;
  EXPECT_EQ(*end, '\0') << date;
  EXPECT_LE(std::abs(timegm(&parsed) - std::time(nullptr)), 2) << date;
}

TEST(ServerTest, BodyOverTheLimitGets413AndTheConnectionCloses) {
  TestHandler handler;
  RunningServer running(test_config(), handler);
  Client client(running.server().port());

  ASSERT_FALSE(client.send(bhttp::verb::post, "/echo", std::string(2000, 'x')));
  const auto response = client.receive();
  EXPECT_EQ(response.result(), bhttp::status::payload_too_large);
  EXPECT_FALSE(response.keep_alive());
  EXPECT_NE(response.body().find("1024"), std::string::npos) << response.body();
  EXPECT_FALSE(response[bhttp::field::date].empty());
  EXPECT_TRUE(closed_by_server(client.wait_for_close()));

  const ServerStats stats = running.server().stats();
  EXPECT_EQ(stats.rejected_too_large, 1U);
  EXPECT_EQ(stats.requests, 0U);  // the handler never saw it
}

TEST(ServerTest, UnparsableHttpGets400AndTheConnectionCloses) {
  TestHandler handler;
  RunningServer running(test_config(), handler);
  Client client(running.server().port());

  ASSERT_FALSE(client.write_raw("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n"));
  const auto response = client.receive();
  EXPECT_EQ(response.result(), bhttp::status::bad_request);
  EXPECT_FALSE(response.keep_alive());
  EXPECT_TRUE(closed_by_server(client.wait_for_close()));
  EXPECT_EQ(running.server().stats().bad_requests, 1U);
}

TEST(ServerTest, HandlerExceptionGets500AndTheConnectionStaysUsable) {
  TestHandler handler;
  RunningServer running(test_config(), handler);
  Client client(running.server().port());

  ASSERT_FALSE(client.send(bhttp::verb::get, "/throw"));
  const auto failed = client.receive();
  EXPECT_EQ(failed.result(), bhttp::status::internal_server_error);
  EXPECT_EQ(failed.body(), "internal error");
  EXPECT_TRUE(failed.keep_alive());

  ASSERT_FALSE(client.send(bhttp::verb::post, "/echo", "still here"));
  EXPECT_EQ(client.receive().body(), "still here");
  EXPECT_EQ(running.server().stats().handler_errors, 1U);
}

TEST(ServerTest, AnswersExpect100ContinueBeforeTheBody) {
  TestHandler handler;
  RunningServer running(test_config(), handler);
  Client client(running.server().port());

  ASSERT_FALSE(client.write_raw(
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"));
  EXPECT_EQ(client.receive<bhttp::empty_body>().result(), bhttp::status::continue_);
  ASSERT_FALSE(client.write_raw("body"));
  EXPECT_EQ(client.receive().body(), "body");
}

TEST(ServerTest, ReadTimeoutClosesAHalfSentRequest) {
  TestHandler handler;
  ServerConfig config = test_config();
  config.read_timeout = 200ms;
  RunningServer running(config, handler);
  Client client(running.server().port());

  ASSERT_FALSE(client.write_raw("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhal"));
  EXPECT_TRUE(closed_by_server(client.wait_for_close()));
  EXPECT_TRUE(eventually([&] { return running.server().stats().read_timeouts == 1; }));
  EXPECT_TRUE(eventually([&] { return running.server().stats().connections_active == 0; }));
}

TEST(ServerTest, IdleTimeoutClosesASilentConnection) {
  TestHandler handler;
  ServerConfig config = test_config();
  config.idle_timeout = 200ms;
  RunningServer running(config, handler);
  Client client(running.server().port());

  EXPECT_TRUE(closed_by_server(client.wait_for_close()));
  EXPECT_TRUE(eventually([&] { return running.server().stats().idle_timeouts == 1; }));
}

TEST(ServerTest, StopLetsTheInFlightRequestFinish) {
  TestHandler handler;
  RunningServer running(test_config(), handler);
  const unsigned short port = running.server().port();
  Client client(port);

  ASSERT_FALSE(client.send(bhttp::verb::post, "/slow", "in flight"));
  ASSERT_TRUE(eventually([&] { return handler.slow_entered(); }));
  running.server().stop();
  ASSERT_TRUE(eventually([&] { return connection_refused(port); }));  // no longer accepting
  EXPECT_FALSE(running.run_returns_within(0ms));                      // still draining

  handler.release_slow();
  const auto response = client.receive();
  EXPECT_EQ(response.result(), bhttp::status::ok);
  EXPECT_EQ(response.body(), "in flight");
  EXPECT_FALSE(response.keep_alive());  // Connection: close on the last response
  EXPECT_TRUE(closed_by_server(client.wait_for_close()));
  EXPECT_TRUE(running.run_returns_within(kDeadline));
}

TEST(ServerTest, StopClosesIdleKeepAliveConnectionsAtOnce) {
  TestHandler handler;
  ServerConfig config = test_config();
  config.idle_timeout = 60s;
  config.shutdown_timeout = 60s;
  RunningServer running(config, handler);
  Client client(running.server().port());

  ASSERT_FALSE(client.send(bhttp::verb::get, "/echo"));
  EXPECT_TRUE(client.receive().keep_alive());
  running.server().stop();
  EXPECT_TRUE(closed_by_server(client.wait_for_close()));  // long before either timeout
  EXPECT_TRUE(running.run_returns_within(kDeadline));
  EXPECT_EQ(running.server().stats().idle_timeouts, 0U);
}

TEST(ServerTest, ShutdownTimeoutAbandonsAStuckHandler) {
  TestHandler handler;
  ServerConfig config = test_config();
  config.shutdown_timeout = 200ms;
  RunningServer running(config, handler);
  Client client(running.server().port());

  ASSERT_FALSE(client.send(bhttp::verb::get, "/slow"));
  ASSERT_TRUE(eventually([&] { return handler.slow_entered(); }));
  running.server().stop();
  EXPECT_TRUE(running.run_returns_within(kDeadline));
  EXPECT_TRUE(closed_by_server(client.wait_for_close()));
}

}  // namespace
}  // namespace primesync::http
