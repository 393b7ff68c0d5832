// A PushHub and the io_context its sockets live on, driven from the test thread
// without a network: packets from a device go in with receive(), what the socket
// sends comes out of next_packet() (WebSocket) or poll() (long-polling). Every wait
// runs the io_context until a condition holds or a deadline passes; no sleeps.
#pragma once

#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "http/types.hpp"
#include "primesync/api.hpp"
#include "primesync/config.hpp"
#include "protocol/notification_encoder.hpp"
#include "push/device_socket.hpp"
#include "push/push_hub.hpp"

namespace primesync::push::testing {

namespace asio = boost::asio;
using namespace std::chrono_literals;

inline constexpr std::chrono::seconds wait_deadline{5};
inline constexpr std::string_view jwt_secret = "push-test-secret";

// What next_packet()/poll() answer when the socket gave nothing within the deadline,
// and when it returned null/nullopt. Neither can be an Engine.IO packet (they start
// with a digit).
inline constexpr std::string_view nothing_within_deadline = "<nothing within the deadline>";
inline constexpr std::string_view socket_closed = "<closed>";
inline constexpr std::string_view poll_refused = "<poll refused>";

// Every timer far away, so a test sees only the packets it causes; tests of a
// timer shorten that one.
inline PushConfig quiet_config() {
  PushConfig config;
  config.ping_interval = 60s;
  config.ping_timeout = 60s;
  config.connect_timeout = 60s;
  config.ack_timeout = 60s;
  config.max_retries = 3;
  config.max_connections = 100;
  config.send_queue_messages = 64;
  config.max_payload_bytes = 65536;
  return config;
}

inline AuthConfig test_auth() {
  AuthConfig auth;
  auth.jwt_secret = std::string(jwt_secret);
  return auth;
}

inline http::Request handshake_request(std::string_view sticky_key = {}) {
  http::Request request{boost::beast::http::verb::get, "/socket.io/?EIO=4&transport=websocket", 11};
  if (!sticky_key.empty()) request.set("x-onekey-client-sticky-key", sticky_key);
  return request;
}

// A CONFIG_CHANGE notification as the sync service writes it.
inline std::string notification_json(std::string_view message_id, std::vector<std::string> devices,
                                     std::string_view user_id = "user-1") {
  Notification notification;
  notification.msg_id = std::string(message_id);
  notification.type = NotificationType::config_change;
  notification.user_id = std::string(user_id);
  notification.devices = std::move(devices);
  notification.nonce = 1;
  notification.pwd_hash = "pwd";
  return protocol::encode_notification(notification);
}

// The packet the hub sends for notification_json(message_id, ...).
inline std::string push_packet(std::string_view message_id) {
  return R"(42["CONFIG_CHANGE",{"msgId":")" + std::string(message_id) +
         R"(","nonce":1,"pwdHash":"pwd"}])";
}

// A coroutine's result, filled in when it completes on the io_context.
template <typename T>
struct PendingResult {
  struct State {
    bool done = false;
    std::exception_ptr error;
    T value{};
  };
  std::shared_ptr<State> state = std::make_shared<State>();

  [[nodiscard]] bool done() const { return state->done; }
};

// The socket is a parameter, so the coroutine frame keeps it alive.
inline asio::awaitable<DeviceSocket::SharedText> read_outgoing(
    std::shared_ptr<DeviceSocket> socket) {
  auto next = socket->next_outgoing();
  co_return co_await std::move(next);
}

inline asio::awaitable<std::optional<std::string>> read_poll(std::shared_ptr<DeviceSocket> socket) {
  auto poll = socket->poll();
  co_return co_await std::move(poll);
}

class HubHarness {
 public:
  explicit HubHarness(const PushConfig& config = quiet_config(),
                      const AuthConfig& auth = test_auth())
      : hub_(std::make_unique<PushHub>(config, auth)) {}

  // Closes every socket and lets their coroutines finish before the hub goes.
  ~HubHarness() {
    hub_->stop();
    io_.restart();
    io_.run_for(wait_deadline);
  }

  HubHarness(const HubHarness&) = delete;
  HubHarness& operator=(const HubHarness&) = delete;

  [[nodiscard]] PushHub& hub() { return *hub_; }
  [[nodiscard]] asio::io_context& io() { return io_; }

  // A new session (null when the hub refuses it).
  std::shared_ptr<DeviceSocket> open(DeviceSocket::Transport transport,
                                     const http::Request& request = handshake_request()) {
    return hub_->open_socket(io_.get_executor(), transport, request);
  }

  // A polling session that completed its socket.io CONNECT as `instance_id`.
  std::shared_ptr<DeviceSocket> connected_polling_device(std::string_view instance_id) {
    auto socket = open(DeviceSocket::Transport::polling);
    if (socket == nullptr) {
      ADD_FAILURE() << "the hub refused the session";
      return nullptr;
    }
    receive(socket, connect_packet(instance_id));
    const std::string reply = poll(socket);
    EXPECT_TRUE(reply.starts_with(R"(40{"sid":")")) << reply;
    return socket;
  }

  static std::string connect_packet(std::string_view instance_id) {
    return R"(40{"instanceId":")" + std::string(instance_id) + R"("})";
  }

  // Runs the io_context until `condition` holds; false when the deadline passed.
  bool run_until(const std::function<bool()>& condition,
                 std::chrono::steady_clock::duration deadline = wait_deadline) {
    const auto give_up = std::chrono::steady_clock::now() + deadline;
    while (!condition()) {
      if (std::chrono::steady_clock::now() >= give_up) return false;
      if (io_.stopped()) io_.restart();
      io_.run_one_until(give_up);
    }
    return true;
  }

  // Runs the handlers that are ready now, without waiting for timers.
  void run_ready() {
    io_.restart();
    io_.poll();
  }

  // Runs `work(socket)` on the io_context (after everything posted before it).
  void on_socket(const std::shared_ptr<DeviceSocket>& socket,
                 std::function<void(DeviceSocket&)> work) {
    auto done = std::make_shared<bool>(false);
    asio::post(io_, [socket, work = std::move(work), done] {
      work(*socket);
      *done = true;
    });
    EXPECT_TRUE(run_until([&] { return *done; })) << "the posted work never ran";
  }

  // One packet from the device; false when the socket closed because of it.
  bool receive(const std::shared_ptr<DeviceSocket>& socket, std::string_view packet) {
    bool open = false;
    on_socket(socket, [&](DeviceSocket& device) { open = device.receive(packet); });
    return open;
  }

  PendingResult<DeviceSocket::SharedText> start_next_packet(
      const std::shared_ptr<DeviceSocket>& socket) {
    return start(read_outgoing(socket));
  }

  PendingResult<std::optional<std::string>> start_poll(
      const std::shared_ptr<DeviceSocket>& socket) {
    return start(read_poll(socket));
  }

  // The WebSocket writer's next packet, socket_closed, or nothing_within_deadline.
  std::string finish(const PendingResult<DeviceSocket::SharedText>& pending) {
    if (!run_until([&] { return pending.done(); })) return std::string(nothing_within_deadline);
    if (pending.state->error) return "<threw>";
    return pending.state->value ? *pending.state->value : std::string(socket_closed);
  }

  // The polling response body, poll_refused, or nothing_within_deadline.
  std::string finish(const PendingResult<std::optional<std::string>>& pending) {
    if (!run_until([&] { return pending.done(); })) return std::string(nothing_within_deadline);
    if (pending.state->error) return "<threw>";
    return pending.state->value ? *pending.state->value : std::string(poll_refused);
  }

  std::string next_packet(const std::shared_ptr<DeviceSocket>& socket) {
    return finish(start_next_packet(socket));
  }

  std::string poll(const std::shared_ptr<DeviceSocket>& socket) {
    return finish(start_poll(socket));
  }

  // A connected device's event asking for an ack with `marker_ack_id`; its answer
  // is queued behind everything the socket queued before (the io_context runs
  // handlers in order), so reading it proves nothing else was queued.
  void send_marker(const std::shared_ptr<DeviceSocket>& socket, int marker_ack_id = 999) {
    receive(socket, "42" + std::to_string(marker_ack_id) + R"(["marker"])");
  }
  static std::string marker_reply(int marker_ack_id = 999) {
    return "43" + std::to_string(marker_ack_id) + R"([{"code":0}])";
  }

  // Starts `work` on the io_context; its result is in the PendingResult once done.
  template <typename T>
  PendingResult<T> start(asio::awaitable<T> work) {
    PendingResult<T> pending;
    asio::co_spawn(io_, std::move(work),
                   [state = pending.state](std::exception_ptr error, T value) {
                     state->error = error;
                     state->value = std::move(value);
                     state->done = true;
                   });
    return pending;
  }

  bool closed(const std::shared_ptr<DeviceSocket>& socket) {
    bool closed = false;
    on_socket(socket, [&](DeviceSocket& device) { closed = device.closed(); });
    return closed;
  }

 private:
  asio::io_context io_;
  std::unique_ptr<PushHub> hub_;  // after io_: its sockets' timers live on io_
};

}  // namespace primesync::push::testing
