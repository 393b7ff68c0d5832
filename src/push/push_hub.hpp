// The push hub: devices connect to it with socket.io (Engine.IO 4 over a WebSocket
// or long-polling on /socket.io/) and name their instance id; every committed
// change is pushed to the connected devices the notification lists (the user's
// other devices). It is a Notifier, fed by the outbox dispatcher of this instance,
// or, with Kafka, by the topic every instance publishes to (KafkaPushFeed), so that
// a device receives a change whichever instance committed it.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "http/push_front.hpp"
#include "primesync/config.hpp"
#include "primesync/notifier.hpp"
#include "push/device_socket.hpp"
#include "push/push_counters.hpp"

namespace primesync::push {

class PushHub final : public Notifier, public http::PushFront {
 public:
  struct Stats {
    std::uint64_t connected = 0;   // sessions open now
    std::uint64_t identified = 0;  // of which a device named its instance id
    std::uint64_t connections_opened = 0;
    std::uint64_t connections_refused = 0;
    std::uint64_t messages_received = 0;
    std::uint64_t malformed_messages = 0;
    std::uint64_t pushes_sent = 0;
    std::uint64_t acks = 0;
    std::uint64_t retries = 0;
    std::uint64_t given_up = 0;
    std::uint64_t slow_consumers = 0;
    std::uint64_t heartbeat_timeouts = 0;
    std::uint64_t protocol_errors = 0;
    std::uint64_t refused_auth = 0;
  };

  // `auth` verifies tokens when push.requireToken is set.
  PushHub(const PushConfig& config, const AuthConfig& auth);
  ~PushHub() override;
  PushHub(const PushHub&) = delete;
  PushHub& operator=(const PushHub&) = delete;

  // Notifier: routes each entry to the devices connected here. Never fails: a
  // device that is not connected catches up with its next check.
  [[nodiscard]] std::string_view name() const override { return "hub"; }
  void deliver(std::span<const OutboxEntry> entries, std::vector<bool>& delivered) override;
  // One notification from elsewhere (the Kafka feed). Thread-safe.
  void deliver_message(std::string_view notification_json);

  // http::PushFront
  boost::asio::awaitable<http::Response> handle_polling(http::Request& request) override;
  boost::asio::awaitable<void> take_over_websocket(boost::asio::ip::tcp::socket socket,
                                                   http::Request request) override;
  void acknowledge(std::string_view instance_id, std::string_view message_id) override;
  void stop() override;

  [[nodiscard]] Stats stats() const;

  // For the sockets and transports of this folder.
  [[nodiscard]] const PushConfig& config() const noexcept { return config_; }
  [[nodiscard]] PushCounters& counters() noexcept { return counters_; }
  [[nodiscard]] bool stopping() const;
  // The user id of a valid token, or nullopt.
  [[nodiscard]] std::optional<std::string> verify_token(std::string_view token) const;
  // A new session on `executor`, registered by its sid; null over push.maxConnections
  // or while stopping.
  [[nodiscard]] std::shared_ptr<DeviceSocket> open_socket(
      const boost::asio::any_io_executor& executor, DeviceSocket::Transport transport,
      const http::Request& request);
  [[nodiscard]] std::shared_ptr<DeviceSocket> find(std::string_view sid) const;
  // The device named its instance id: route its notifications to the socket.
  void identify(const std::shared_ptr<DeviceSocket>& socket, const std::string& instance_id);
  // The socket closed.
  void forget(const DeviceSocket& socket, const std::string& instance_id);

 private:
  void route(const std::shared_ptr<const PushMessage>& message);

  PushConfig config_;
  AuthConfig auth_;
  PushCounters counters_;

  mutable std::mutex mutex_;
  bool stopping_ = false;
  std::unordered_map<std::string, std::shared_ptr<DeviceSocket>> by_sid_;
  std::unordered_multimap<std::string, std::weak_ptr<DeviceSocket>> by_instance_;
};

}  // namespace primesync::push
