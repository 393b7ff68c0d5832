#include "push/push_hub.hpp"

#include <boost/asio/post.hpp>

#include "auth/jwt.hpp"
#include "push/polling_transport.hpp"
#include "push/socket_id.hpp"
#include "push/websocket_transport.hpp"

namespace primesync::push {
namespace {

constexpr std::string_view sticky_key_header = "x-onekey-client-sticky-key";

// `<platform>:<prod|test>:<instanceId>` → instanceId (empty when malformed).
std::string sticky_instance_id(const http::Request& request) {
  const auto header = request.find(sticky_key_header);
  if (header == request.end()) return {};
  const std::string_view value(header->value().data(), header->value().size());
  const std::size_t colon = value.rfind(':');
  return colon == std::string_view::npos ? std::string{} : std::string(value.substr(colon + 1));
}

}  // namespace

PushHub::PushHub(const PushConfig& config, const AuthConfig& auth) : config_(config), auth_(auth) {}

PushHub::~PushHub() {
  stop();
}

void PushHub::deliver(std::span<const OutboxEntry> entries, std::vector<bool>& delivered) {
  for (std::size_t i = 0; i < entries.size(); ++i) {
    deliver_message(entries[i].message);
    delivered[i] = true;
  }
}

void PushHub::deliver_message(std::string_view notification_json) {
  PushCounters::bump(counters_.messages_received);
  ReadPushMessage read = read_push_message(notification_json);
  if (!read.message) {
    PushCounters::bump(counters_.malformed_messages);
    return;
  }
  route(read.message);
}

void PushHub::route(const std::shared_ptr<const PushMessage>& message) {
  std::vector<std::shared_ptr<DeviceSocket>> targets;
  {
    std::lock_guard lock(mutex_);
    for (const std::string& device : message->devices) {
      const auto [first, last] = by_instance_.equal_range(device);
      for (auto it = first; it != last; ++it) {
        if (auto socket = it->second.lock()) targets.push_back(std::move(socket));
      }
    }
  }
  for (auto& socket : targets) {
    boost::asio::post(socket->executor(), [socket, message] { socket->push(message); });
  }
}

boost::asio::awaitable<http::Response> PushHub::handle_polling(http::Request& request) {
  return serve_polling_request(*this, request);
}

boost::asio::awaitable<void> PushHub::take_over_websocket(boost::asio::ip::tcp::socket socket,
                                                          http::Request request) {
  return serve_websocket(*this, std::move(socket), std::move(request));
}

void PushHub::acknowledge(std::string_view instance_id, std::string_view message_id) {
  std::vector<std::shared_ptr<DeviceSocket>> targets;
  {
    std::lock_guard lock(mutex_);
    const auto [first, last] = by_instance_.equal_range(std::string(instance_id));
    for (auto it = first; it != last; ++it) {
      if (auto socket = it->second.lock()) targets.push_back(std::move(socket));
    }
  }
  for (auto& socket : targets) {
    boost::asio::post(socket->executor(),
                      [socket, id = std::string(message_id)] { socket->acknowledge(id); });
  }
}

void PushHub::stop() {
  std::vector<std::shared_ptr<DeviceSocket>> sockets;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    for (const auto& [sid, socket] : by_sid_) sockets.push_back(socket);
  }
  for (auto& socket : sockets) {
    boost::asio::post(socket->executor(),
                      [socket] { socket->close(DeviceSocket::CloseReason::server); });
  }
}

bool PushHub::stopping() const {
  std::lock_guard lock(mutex_);
  return stopping_;
}

PushHub::Stats PushHub::stats() const {
  Stats stats;
  {
    std::lock_guard lock(mutex_);
    stats.connected = by_sid_.size();
    stats.identified = by_instance_.size();
  }
  auto read = [](const std::atomic<std::uint64_t>& counter) {
    return counter.load(std::memory_order_relaxed);
  };
  stats.connections_opened = read(counters_.connections_opened);
  stats.connections_refused = read(counters_.connections_refused);
  stats.messages_received = read(counters_.messages_received);
  stats.malformed_messages = read(counters_.malformed_messages);
  stats.pushes_sent = read(counters_.pushes_sent);
  stats.acks = read(counters_.acks);
  stats.retries = read(counters_.retries);
  stats.given_up = read(counters_.given_up);
  stats.slow_consumers = read(counters_.slow_consumers);
  stats.heartbeat_timeouts = read(counters_.heartbeat_timeouts);
  stats.protocol_errors = read(counters_.protocol_errors);
  stats.refused_auth = read(counters_.refused_auth);
  return stats;
}

std::optional<std::string> PushHub::verify_token(std::string_view token) const {
  auto claims = auth::verify_token(token, auth_.jwt_secret, auth_.leeway, wall_clock_now(),
                                   auth_.max_token_bytes);
  if (!claims) return std::nullopt;
  return std::move(claims->subject);
}

std::shared_ptr<DeviceSocket> PushHub::open_socket(const boost::asio::any_io_executor& executor,
                                                   DeviceSocket::Transport transport,
                                                   const http::Request& request) {
  auto socket = std::make_shared<DeviceSocket>(*this, executor, new_socket_id(), transport,
                                               sticky_instance_id(request));
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || by_sid_.size() >= config_.max_connections) {
      PushCounters::bump(counters_.connections_refused);
      return nullptr;
    }
    by_sid_.emplace(socket->sid(), socket);
  }
  PushCounters::bump(counters_.connections_opened);
  socket->start();
  return socket;
}

std::shared_ptr<DeviceSocket> PushHub::find(std::string_view sid) const {
  std::lock_guard lock(mutex_);
  const auto it = by_sid_.find(std::string(sid));
  return it == by_sid_.end() ? nullptr : it->second;
}

void PushHub::identify(const std::shared_ptr<DeviceSocket>& socket,
                       const std::string& instance_id) {
  std::lock_guard lock(mutex_);
  by_instance_.emplace(instance_id, socket);
}

void PushHub::forget(const DeviceSocket& socket, const std::string& instance_id) {
  std::lock_guard lock(mutex_);
  by_sid_.erase(socket.sid());
  if (instance_id.empty()) return;
  const auto [first, last] = by_instance_.equal_range(instance_id);
  for (auto it = first; it != last;) {
    const auto held = it->second.lock();
    it = (!held || held.get() == &socket) ? by_instance_.erase(it) : std::next(it);
  }
}

}  // namespace primesync::push
