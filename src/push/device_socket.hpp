// One device's Engine.IO session and its socket.io connection on the default
// namespace: the heartbeat, the queue of packets to send, the pushes awaiting an
// acknowledgement. A socket lives on one executor (an I/O thread) and every member
// function must be called there; the hub posts to it. The transports (long-polling
// requests, a WebSocket) only move packets in and out.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "push/push_message.hpp"

namespace primesync::push {

class PushHub;

class DeviceSocket : public std::enable_shared_from_this<DeviceSocket> {
 public:
  enum class Transport { polling, websocket };
  using SharedText = std::shared_ptr<const std::string>;
  using Clock = std::chrono::steady_clock;

  // `sticky_instance_id` is the instance id of the x-onekey-client-sticky-key
  // header (`<platform>:<env>:<instanceId>`), used when the CONNECT's auth has none.
  DeviceSocket(PushHub& hub, boost::asio::any_io_executor executor, std::string sid,
               Transport transport, std::string sticky_instance_id);
  ~DeviceSocket();
  DeviceSocket(const DeviceSocket&) = delete;
  DeviceSocket& operator=(const DeviceSocket&) = delete;

  [[nodiscard]] const std::string& sid() const noexcept { return sid_; }
  [[nodiscard]] const boost::asio::any_io_executor& executor() const noexcept { return executor_; }

  // Starts the heartbeat; on a WebSocket session also queues the open packet.
  void start();

  // One packet from the device. False when the socket closed because of it.
  bool receive(std::string_view packet);

  // The WebSocket writer's next packet; null once the socket is closed.
  boost::asio::awaitable<SharedText> next_outgoing();

  // A polling GET: waits for packets and returns the response body. Nullopt when
  // the session was upgraded, or another poll is already waiting (a protocol error:
  // the socket is closed).
  boost::asio::awaitable<std::optional<std::string>> poll();

  // A WebSocket probe arrived: polls are answered at once (a noop when nothing is
  // queued), so that the client can pause polling and complete the upgrade; until
  // upgrade_to_websocket(), or abandon_upgrade() when the WebSocket went away.
  void begin_upgrade();
  void abandon_upgrade();

  // A WebSocket replaced the polling transport (the client sent the upgrade
  // packet): a waiting poll is answered with a noop, packets now go to next_outgoing.
  void upgrade_to_websocket();
  [[nodiscard]] Transport transport() const noexcept { return transport_; }

  // Queues the push unless the device is not connected (or, with push.requireToken,
  // belongs to another user); it is sent again until acknowledged.
  void push(const std::shared_ptr<const PushMessage>& message);
  void acknowledge(std::string_view message_id);

  enum class CloseReason { client, transport, heartbeat, slow_consumer, protocol, server };
  void close(CloseReason reason);
  [[nodiscard]] bool closed() const noexcept { return closed_; }

 private:
  struct Unacknowledged {
    std::shared_ptr<const PushMessage> message;
    std::size_t resends = 0;
    Clock::time_point due;
  };

  // A parameter, not `this`: the coroutine frame keeps the socket alive.
  static boost::asio::awaitable<void> heartbeat(std::shared_ptr<DeviceSocket> self);
  void on_socket_packet(std::string_view text);
  void on_connect(std::string_view name_space, std::string_view auth_json);
  void on_event(std::optional<std::uint64_t> ack_id, std::string_view data);
  void send(SharedText packet);
  void send(std::string packet);
  void resend_overdue(Clock::time_point now);
  void wake_heartbeat_by(Clock::time_point when);
  [[nodiscard]] Clock::time_point next_deadline() const;

  PushHub& hub_;
  boost::asio::any_io_executor executor_;
  std::string sid_;
  Transport transport_;
  std::string sticky_instance_id_;
  std::string instance_id_;  // set by the socket.io CONNECT
  std::string user_id_;      // with push.requireToken
  bool connected_ = false;
  bool closed_ = false;
  bool poll_waiting_ = false;
  bool upgrading_ = false;

  std::deque<SharedText> outgoing_;
  boost::asio::steady_timer wake_;       // a waiting poll or writer parks on it
  boost::asio::steady_timer heartbeat_;  // expires at next_deadline()

  Clock::time_point opened_at_;
  Clock::time_point next_ping_;
  std::optional<Clock::time_point> pong_due_;
  std::unordered_map<std::string, Unacknowledged> unacknowledged_;  // by msgId
};

namespace detail {

template <typename T>
struct is_awaitable : std::false_type {};
template <typename T, typename Executor>
struct is_awaitable<boost::asio::awaitable<T, Executor>> : std::true_type {};

// The socket and the work are parameters, so they live in this coroutine's frame.
template <typename Result, typename Work>
boost::asio::awaitable<Result> run_socket_work(std::shared_ptr<DeviceSocket> socket, Work work) {
  using Returned = std::invoke_result_t<Work&, DeviceSocket&>;
  if constexpr (is_awaitable<Returned>::value) {
    co_return co_await work(*socket);
  } else if constexpr (std::is_void_v<Result>) {
    work(*socket);
  } else {
    co_return work(*socket);
  }
}

}  // namespace detail

// Runs `work(socket)` (a plain callable; it may return an awaitable) on the
// socket's executor and resumes the caller on its own. How the transports, which
// may live on another I/O thread, touch a socket.
//
// Keep the result in a variable and co_await that (`auto step = on_socket_thread(..);
// co_await std::move(step);`): GCC 12 destroys non-trivial temporaries of a co_await
// full-expression (here the callable and its captures) twice.
template <typename Result, typename Work>
boost::asio::awaitable<Result> on_socket_thread(const std::shared_ptr<DeviceSocket>& socket,
                                                Work work) {
  return boost::asio::co_spawn(socket->executor(),
                               detail::run_socket_work<Result>(socket, std::move(work)),
                               boost::asio::use_awaitable);
}

}  // namespace primesync::push
