#include "push/device_socket.hpp"

#include <simdjson.h>

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "push/engine_io_packet.hpp"
#include "push/push_hub.hpp"
#include "push/socket_id.hpp"
#include "push/socket_io_packet.hpp"

namespace primesync::push {
namespace {

namespace asio = boost::asio;
constexpr auto no_throw = asio::as_tuple(asio::use_awaitable);

constexpr std::string_view default_name_space = "/";
constexpr std::size_t max_instance_id_bytes = 256;  // as on the HTTP API
// The answer to an `ack` event the device emitted with emitWithAck.
constexpr std::string_view ack_reply = R"([{"code":0}])";

const DeviceSocket::SharedText& text_packet(EnginePacketType type) {
  static const auto ping =
      std::make_shared<const std::string>(1, static_cast<char>(EnginePacketType::ping));
  static const auto noop =
      std::make_shared<const std::string>(1, static_cast<char>(EnginePacketType::noop));
  static const auto close =
      std::make_shared<const std::string>(1, static_cast<char>(EnginePacketType::close));
  switch (type) {
    case EnginePacketType::ping:
      return ping;
    case EnginePacketType::noop:
      return noop;
    default:
      return close;
  }
}

// A string member of a JSON object, or empty.
std::string string_member(std::string_view json, std::string_view name) {
  if (json.empty()) return {};
  thread_local simdjson::dom::parser parser;
  simdjson::dom::object object;
  if (parser.parse(json.data(), json.size()).get(object) != simdjson::SUCCESS) return {};
  std::string_view value;
  if (object[name].get_string().get(value) != simdjson::SUCCESS) return {};
  return std::string(value);
}

}  // namespace

DeviceSocket::DeviceSocket(PushHub& hub, asio::any_io_executor executor, std::string sid,
                           Transport transport, std::string sticky_instance_id)
    : hub_(hub),
      executor_(std::move(executor)),
      sid_(std::move(sid)),
      transport_(transport),
      sticky_instance_id_(std::move(sticky_instance_id)),
      wake_(executor_),
      heartbeat_(executor_),
      opened_at_(Clock::now()),
      next_ping_(opened_at_ + hub.config().ping_interval) {}

DeviceSocket::~DeviceSocket() = default;

void DeviceSocket::start() {
  if (transport_ == Transport::websocket) {
    send(encode_open_packet(OpenParameters{sid_, false, hub_.config().ping_interval,
                                           hub_.config().ping_timeout,
                                           hub_.config().max_payload_bytes}));
  }
  asio::co_spawn(executor_, heartbeat(shared_from_this()), asio::detached);
}

DeviceSocket::Clock::time_point DeviceSocket::next_deadline() const {
  Clock::time_point next = pong_due_ ? *pong_due_ : next_ping_;
  if (!connected_) next = std::min(next, opened_at_ + hub_.config().connect_timeout);
  for (const auto& [id, pending] : unacknowledged_) next = std::min(next, pending.due);
  return next;
}

asio::awaitable<void> DeviceSocket::heartbeat(std::shared_ptr<DeviceSocket> self) {
  DeviceSocket& socket = *self;
  const PushConfig& config = socket.hub_.config();
  while (!socket.closed_) {
    socket.heartbeat_.expires_at(socket.next_deadline());
    co_await socket.heartbeat_.async_wait(no_throw);  // cancelled: a deadline moved, look again
    if (socket.closed_) break;
    const Clock::time_point now = Clock::now();
    if ((!socket.connected_ && now >= socket.opened_at_ + config.connect_timeout) ||
        (socket.pong_due_ && now >= *socket.pong_due_)) {
      PushCounters::bump(socket.hub_.counters().heartbeat_timeouts);
      socket.close(CloseReason::heartbeat);
      break;
    }
    if (!socket.pong_due_ && now >= socket.next_ping_) {
      socket.pong_due_ = now + config.ping_timeout;
      socket.send(text_packet(EnginePacketType::ping));
    }
    socket.resend_overdue(now);
  }
}

void DeviceSocket::resend_overdue(Clock::time_point now) {
  const PushConfig& config = hub_.config();
  for (auto it = unacknowledged_.begin(); it != unacknowledged_.end() && !closed_;) {
    Unacknowledged& pending = it->second;
    if (pending.due > now) {
      ++it;
      continue;
    }
    if (pending.resends >= config.max_retries) {
      PushCounters::bump(hub_.counters().given_up);
      it = unacknowledged_.erase(it);
      continue;
    }
    ++pending.resends;
    pending.due = now + config.ack_timeout;
    PushCounters::bump(hub_.counters().retries);
    // The message outlives the queue entry: share its packet without copying it.
    send(SharedText(pending.message, &pending.message->packet));
    if (closed_) return;  // a slow consumer: close() emptied the map
    ++it;
  }
}

void DeviceSocket::wake_heartbeat_by(Clock::time_point when) {
  if (heartbeat_.expiry() > when) heartbeat_.cancel();
}

bool DeviceSocket::receive(std::string_view packet) {
  if (closed_) return false;
  const auto engine = parse_engine_packet(packet);
  if (!engine) {
    PushCounters::bump(hub_.counters().protocol_errors);
    close(CloseReason::protocol);
    return false;
  }
  switch (engine->type) {
    case EnginePacketType::pong:
      pong_due_.reset();
      next_ping_ = Clock::now() + hub_.config().ping_interval;
      heartbeat_.cancel();  // it waits for the pong deadline: the next ping comes earlier
      break;
    case EnginePacketType::message:
      on_socket_packet(engine->payload);
      break;
    case EnginePacketType::close:
      close(CloseReason::client);
      break;
    case EnginePacketType::ping:  // only a probe, answered by the WebSocket transport
    case EnginePacketType::upgrade:
    case EnginePacketType::noop:
    case EnginePacketType::open:
      break;
  }
  return !closed_;
}

void DeviceSocket::on_socket_packet(std::string_view text) {
  const auto packet = parse_socket_packet(text);
  if (!packet) {
    PushCounters::bump(hub_.counters().protocol_errors);
    close(CloseReason::protocol);
    return;
  }
  switch (packet->type) {
    case SocketPacketType::connect:
      on_connect(packet->name_space, packet->data);
      break;
    case SocketPacketType::disconnect:
      if (packet->name_space == default_name_space) close(CloseReason::client);
      break;
    case SocketPacketType::event:
      if (packet->name_space == default_name_space && connected_) {
        on_event(packet->ack_id, packet->data);
      }
      break;
    default:
      break;  // acks of events the hub never asks to be acknowledged; errors
  }
}

void DeviceSocket::on_connect(std::string_view name_space, std::string_view auth_json) {
  if (name_space != default_name_space) {
    send(encode_connect_error(name_space, "Invalid namespace"));
    return;
  }
  if (connected_) return;
  std::string instance_id = string_member(auth_json, "instanceId");
  if (instance_id.empty()) instance_id = sticky_instance_id_;
  if (instance_id.empty() || instance_id.size() > max_instance_id_bytes) {
    PushCounters::bump(hub_.counters().refused_auth);
    send(encode_connect_error(name_space, "auth.instanceId: expected a string of 1 to 256 bytes"));
    return;
  }
  if (hub_.config().require_token) {
    auto user = hub_.verify_token(string_member(auth_json, "token"));
    if (!user) {
      PushCounters::bump(hub_.counters().refused_auth);
      send(encode_connect_error(name_space, "auth.token: missing, malformed or expired"));
      return;
    }
    user_id_ = std::move(*user);
  }
  connected_ = true;
  instance_id_ = std::move(instance_id);
  hub_.identify(shared_from_this(), instance_id_);
  send(encode_connect_reply(new_socket_id()));
  heartbeat_.cancel();  // the connect deadline no longer applies
}

void DeviceSocket::on_event(std::optional<std::uint64_t> ack_id, std::string_view data) {
  const auto event = parse_socket_event(data);
  if (event && event->name == "ack") acknowledge(string_member(event->first_argument, "msgId"));
  // Every event that asks for an answer gets one, so a client's emitWithAck
  // never waits for its timeout (the app's `pong` and anything newer included).
  if (ack_id) send(encode_ack(*ack_id, ack_reply));
}

void DeviceSocket::push(const std::shared_ptr<const PushMessage>& message) {
  if (closed_ || !connected_) return;
  if (hub_.config().require_token && message->user_id != user_id_) return;
  auto [it, inserted] = unacknowledged_.try_emplace(message->message_id);
  if (!inserted) return;  // the same message twice (Kafka redelivery): already pending
  const Clock::time_point due = Clock::now() + hub_.config().ack_timeout;
  it->second = Unacknowledged{message, 0, due};
  PushCounters::bump(hub_.counters().pushes_sent);
  send(SharedText(message, &message->packet));
  if (!closed_) wake_heartbeat_by(due);  // a slow consumer: close() emptied the map
}

void DeviceSocket::acknowledge(std::string_view message_id) {
  if (message_id.empty()) return;
  const auto it = unacknowledged_.find(std::string(message_id));
  if (it == unacknowledged_.end()) return;
  unacknowledged_.erase(it);
  PushCounters::bump(hub_.counters().acks);
}

void DeviceSocket::send(std::string packet) {
  send(std::make_shared<const std::string>(std::move(packet)));
}

void DeviceSocket::send(SharedText packet) {
  if (closed_) return;
  if (outgoing_.size() >= hub_.config().send_queue_messages) {
    PushCounters::bump(hub_.counters().slow_consumers);
    close(CloseReason::slow_consumer);
    return;
  }
  outgoing_.push_back(std::move(packet));
  wake_.cancel();
}

asio::awaitable<DeviceSocket::SharedText> DeviceSocket::next_outgoing() {
  while (outgoing_.empty() && !closed_) {
    wake_.expires_at(Clock::time_point::max());
    co_await wake_.async_wait(no_throw);
  }
  if (closed_) co_return nullptr;
  SharedText packet = std::move(outgoing_.front());
  outgoing_.pop_front();
  co_return packet;
}

asio::awaitable<std::optional<std::string>> DeviceSocket::poll() {
  if (transport_ != Transport::polling) co_return std::nullopt;  // upgraded: refused, not closed
  if (poll_waiting_) {
    PushCounters::bump(hub_.counters().protocol_errors);
    close(CloseReason::protocol);
    co_return std::nullopt;
  }
  poll_waiting_ = true;
  while (outgoing_.empty() && !closed_ && transport_ == Transport::polling && !upgrading_) {
    wake_.expires_at(Clock::time_point::max());
    co_await wake_.async_wait(no_throw);
  }
  poll_waiting_ = false;
  if (closed_) co_return *text_packet(EnginePacketType::close);
  if (transport_ != Transport::polling || outgoing_.empty()) {
    co_return *text_packet(EnginePacketType::noop);  // upgraded, or upgrading
  }
  std::string body;
  while (!outgoing_.empty() && (body.empty() || body.size() + outgoing_.front()->size() <
                                                    hub_.config().max_payload_bytes)) {
    append_polling_packet(body, *outgoing_.front());
    outgoing_.pop_front();
  }
  co_return body;
}

void DeviceSocket::begin_upgrade() {
  // The client finishes its pending poll before it sends the upgrade packet; that
  // poll may still be on its way, hence the flag and not only a noop now.
  upgrading_ = true;
  wake_.cancel();
}

void DeviceSocket::abandon_upgrade() {
  upgrading_ = false;
}

void DeviceSocket::upgrade_to_websocket() {
  upgrading_ = false;
  transport_ = Transport::websocket;
  wake_.cancel();
}

void DeviceSocket::close(CloseReason /*reason*/) {
  if (closed_) return;
  closed_ = true;
  outgoing_.clear();
  unacknowledged_.clear();
  wake_.cancel();
  heartbeat_.cancel();
  hub_.forget(*this, instance_id_);
}

}  // namespace primesync::push
