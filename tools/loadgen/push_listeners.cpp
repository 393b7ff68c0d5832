#include "push_listeners.hpp"

#include <atomic>
#include <chrono>
#include <list>
#include <mutex>
#include <thread>
#include <vector>

#include <simdjson.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/stream.hpp>

namespace primesync::loadgen {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace websocket = boost::beast::websocket;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using WebSocket = websocket::stream<beast::tcp_stream>;
constexpr auto no_throw = asio::as_tuple(asio::use_awaitable);

constexpr std::string_view engine_path = "/socket.io/?EIO=4&transport=websocket";
constexpr std::chrono::seconds request_timeout{30};
constexpr int connects_in_flight_per_thread = 64;

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The newest dataTimestamp among an event's serverData items (0 when none).
std::int64_t newest_timestamp(simdjson::ondemand::parser& parser, std::string_view event_json) {
  simdjson::padded_string padded(event_json);
  simdjson::ondemand::document document;
  if (parser.iterate(padded).get(document)) return 0;
  simdjson::ondemand::array event;
  if (document.get_array().get(event)) return 0;
  std::int64_t newest = 0;
  std::size_t position = 0;
  for (auto element : event) {
    if (position++ != 1) continue;
    simdjson::ondemand::array items;
    if (element.find_field_unordered("serverData").get_array().get(items)) return 0;
    for (auto item : items) {
      std::int64_t timestamp = 0;
      if (!item.find_field_unordered("dataTimestamp").get_int64().get(timestamp)) {
        newest = std::max(newest, timestamp);
      }
    }
  }
  return newest;
}

std::string message_id(simdjson::ondemand::parser& parser, std::string_view event_json) {
  simdjson::padded_string padded(event_json);
  simdjson::ondemand::document document;
  if (parser.iterate(padded).get(document)) return {};
  simdjson::ondemand::array event;
  if (document.get_array().get(event)) return {};
  std::size_t position = 0;
  for (auto element : event) {
    if (position++ != 1) continue;
    std::string_view id;
    if (element.find_field_unordered("msgId").get_string().get(id)) return {};
    return std::string(id);
  }
  return {};
}

}  // namespace

struct PushListeners::Impl {
  struct Shard {
    asio::io_context io{1};
    std::list<WebSocket*> open;  // for stop(); touched on io's thread only
    PushListenerReport report;
    bool stopping = false;
  };

  PushListenerOptions options;
  std::vector<std::unique_ptr<Shard>> shards;
  std::vector<std::thread> threads;
  std::atomic<int> settled{0};  // connected or failed

  asio::awaitable<bool> login(Shard& shard, std::uint32_t user, const std::string& instance) {
    beast::tcp_stream stream(shard.io);
    tcp::resolver resolver(shard.io);
    auto [resolve_error, endpoints] =
        co_await resolver.async_resolve(options.host, options.port, no_throw);
    if (resolve_error) co_return false;
    stream.expires_after(request_timeout);
    auto [connect_error, endpoint] = co_await stream.async_connect(endpoints, no_throw);
    if (connect_error) co_return false;
    bhttp::request<bhttp::string_body> request{bhttp::verb::post, "/prime/v1/user/login", 11};
    request.set(bhttp::field::host, options.host);
    request.set("X-Onekey-Request-Token", options.token_of(user));
    request.set("x-onekey-instance-id", instance);
    request.body() = "{}";
    request.prepare_payload();
    auto [write_error, written] = co_await bhttp::async_write(stream, request, no_throw);
    if (write_error) co_return false;
    beast::flat_buffer buffer;
    bhttp::response<bhttp::string_body> response;
    auto [read_error, read] = co_await bhttp::async_read(stream, buffer, response, no_throw);
    co_return !read_error && response.result() == bhttp::status::ok &&
        response.body().find("\"code\":0") != std::string::npos;
  }

  // Logs listener `index` in and opens its WebSocket; null when either failed.
  asio::awaitable<std::unique_ptr<WebSocket>> open(Shard& shard, int index) {
    const std::uint32_t user = options.user_of(index);
    const std::string instance = options.instance_of(index);
    if (!co_await login(shard, user, instance)) co_return nullptr;
    auto ws = std::make_unique<WebSocket>(shard.io);
    tcp::resolver resolver(shard.io);
    auto [resolve_error, endpoints] =
        co_await resolver.async_resolve(options.host, options.port, no_throw);
    if (resolve_error) co_return nullptr;
    beast::get_lowest_layer(*ws).expires_after(request_timeout);
    auto [connect_error, endpoint] =
        co_await beast::get_lowest_layer(*ws).async_connect(endpoints, no_throw);
    if (connect_error) co_return nullptr;
    beast::get_lowest_layer(*ws).expires_never();
    ws->set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
    auto [handshake_error] =
        co_await ws->async_handshake(options.host + ":" + options.port, engine_path, no_throw);
    if (handshake_error) co_return nullptr;
    co_return ws;
  }

  // Opens listeners one after another (`starter` of `starters`): devices come
  // online over time, and a burst of 10,000 connects would overflow the listen
  // backlog. Each opened listener then runs on its own.
  asio::awaitable<void> start(Shard& shard, int starter, int starters, int count) {
    for (int index = starter; index < count; index += starters) {
      std::unique_ptr<WebSocket> ws = co_await open(shard, index);
      if (!ws) {
        ++shard.report.connect_failures;
        settled.fetch_add(1);
        continue;
      }
      asio::co_spawn(shard.io, listen(shard, index, std::move(ws)),
                     [](const std::exception_ptr&) {});
    }
  }

  asio::awaitable<void> listen(Shard& shard, int index, std::unique_ptr<WebSocket> socket) {
    WebSocket& ws = *socket;
    const std::string instance = options.instance_of(index);
    PushListenerReport& report = shard.report;
    bool counted = false;
    auto settle = [&](bool connected) {
      if (counted) return;
      counted = true;
      ++(connected ? report.connected : report.connect_failures);
      settled.fetch_add(1);
    };
    shard.open.push_back(&ws);
    const auto registration = std::prev(shard.open.end());
    const std::string connect = R"(40{"instanceId":")" + instance + R"("})";
    simdjson::ondemand::parser parser;
    beast::flat_buffer buffer;
    bool sent_connect = false;
    for (;;) {
      auto [read_error, bytes] = co_await ws.async_read(buffer, no_throw);
      if (read_error) break;
      std::string text = beast::buffers_to_string(buffer.data());
      buffer.consume(buffer.size());
      std::string answer;
      if (text.starts_with('0') && !sent_connect) {
        answer = connect;  // the Engine.IO open packet: now the socket.io CONNECT
        sent_connect = true;
      } else if (text.starts_with("40")) {
        settle(true);
      } else if (text == "2") {
        ++report.pings;
        answer = "3";
      } else if (text.starts_with("42[")) {
        const std::string_view event = std::string_view(text).substr(2);
        if (event.starts_with(R"(["CONFIG_CHANGE")")) {
          ++report.config_changes;
          if (const std::int64_t sent = newest_timestamp(parser, event); sent > 0) {
            report.latency_us.record(
                static_cast<std::uint64_t>(std::max<std::int64_t>(0, wall_ms() - sent)) * 1000U);
          }
        } else if (event.starts_with(R"(["CONFIG_FLUSH")")) {
          ++report.flushes;
        } else if (event.starts_with(R"(["LOCK_CHANGE")")) {
          ++report.lock_changes;
        }
        // Acknowledged as the app does (emitWithAck), so the hub does not resend.
        const std::string id = message_id(parser, event);
        if (!id.empty()) answer = R"(421["ack",{"msgId":")" + id + R"(","action":"arrived"}])";
      }
      if (answer.empty()) continue;
      auto [write_error, written] = co_await ws.async_write(asio::buffer(answer), no_throw);
      if (write_error) break;
    }
    shard.open.erase(registration);
    if (!counted) settle(false);
    if (!shard.stopping) ++report.disconnects;
  }
};

PushListeners::PushListeners(PushListenerOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  const int threads = std::max(1, impl_->options.threads);
  for (int t = 0; t < threads; ++t) impl_->shards.push_back(std::make_unique<Impl::Shard>());
}

PushListeners::~PushListeners() {
  if (!impl_->threads.empty()) stop();
}

void PushListeners::connect() {
  Impl& impl = *impl_;
  const int count = impl.options.connections;
  const int starters = static_cast<int>(impl.shards.size()) * connects_in_flight_per_thread;
  for (int starter = 0; starter < starters; ++starter) {
    Impl::Shard& shard = *impl.shards[static_cast<std::size_t>(starter) % impl.shards.size()];
    asio::co_spawn(shard.io, impl.start(shard, starter, starters, count),
                   [](const std::exception_ptr&) {});
  }
  for (auto& shard : impl.shards) {
    impl.threads.emplace_back([&io = shard->io] {
      auto guard = asio::make_work_guard(io);  // idle listeners must not end run()
      io.run();
    });
  }
  const auto deadline =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(
                         std::chrono::duration<double>(impl.options.connect_timeout_s));
  while (impl.settled.load() < count && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a progress poll, not a test wait
  }
}

PushListenerReport PushListeners::stop() {
  Impl& impl = *impl_;
  for (auto& shard : impl.shards) {
    asio::post(shard->io, [&shard = *shard] {
      shard.stopping = true;
      for (WebSocket* ws : shard.open) beast::get_lowest_layer(*ws).socket().close();
      shard.io.stop();
    });
  }
  for (auto& thread : impl.threads) thread.join();
  impl.threads.clear();
  PushListenerReport total;
  for (auto& shard : impl.shards) {
    const PushListenerReport& part = shard->report;
    total.connected += part.connected;
    total.connect_failures += part.connect_failures;
    total.disconnects += part.disconnects;
    total.config_changes += part.config_changes;
    total.flushes += part.flushes;
    total.lock_changes += part.lock_changes;
    total.pings += part.pings;
    total.latency_us.merge(part.latency_us);
  }
  return total;
}

}  // namespace primesync::loadgen
