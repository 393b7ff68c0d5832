// One device's session, driven through the hub on an io_context: the open packet,
// the socket.io CONNECT, events and acks, resends, the heartbeat, the send queue,
// long-polling and the upgrade, and the packets that close a session.
#include "push/device_socket.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "hub_harness.hpp"
#include "push/engine_io_packet.hpp"
#include "push/push_hub.hpp"

namespace primesync::push {
namespace {

using namespace std::chrono_literals;
using testing::HubHarness;
using testing::notification_json;
using testing::push_packet;
using testing::quiet_config;
using Transport = DeviceSocket::Transport;

constexpr std::string_view refused_instance_id =
    R"(44{"message":"auth.instanceId: expected a string of 1 to 256 bytes"})";

bool is_socket_id(std::string_view id) {
  if (id.size() != 22) return false;
  for (char c : id) {
    const bool url_safe = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                          (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!url_safe) return false;
  }
  return true;
}

// The sid of a `40{"sid":".."}` reply, or empty.
std::string connect_reply_sid(std::string_view reply) {
  constexpr std::string_view prefix = R"(40{"sid":")";
  constexpr std::string_view suffix = R"("})";
  if (!reply.starts_with(prefix) || !reply.ends_with(suffix)) return {};
  reply.remove_prefix(prefix.size());
  reply.remove_suffix(suffix.size());
  return std::string(reply);
}

// A WebSocket session past its open packet and CONNECT as `instance_id`.
std::shared_ptr<DeviceSocket> connected_websocket_device(HubHarness& harness,
                                                         std::string_view instance_id) {
  auto socket = harness.open(Transport::websocket);
  if (socket == nullptr) {
    ADD_FAILURE() << "the hub refused the session";
    return nullptr;
  }
  EXPECT_TRUE(harness.next_packet(socket).starts_with("0{")) << "the open packet";
  harness.receive(socket, HubHarness::connect_packet(instance_id));
  EXPECT_FALSE(connect_reply_sid(harness.next_packet(socket)).empty()) << "the CONNECT reply";
  return socket;
}

TEST(DeviceSocket, WebSocketSessionQueuesTheOpenPacketFirst) {
  PushConfig config = quiet_config();
  config.ping_interval = 25000ms;
  config.ping_timeout = 20000ms;
  config.max_payload_bytes = 1000;
  HubHarness harness(config);
  auto socket = harness.open(Transport::websocket);
  ASSERT_NE(socket, nullptr);
  EXPECT_TRUE(is_socket_id(socket->sid())) << socket->sid();
  EXPECT_EQ(harness.next_packet(socket),
            R"(0{"sid":")" + socket->sid() +
                R"(","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000})");
}

TEST(DeviceSocket, PollingSessionQueuesNothingBeforeTheConnect) {
  HubHarness harness;
  auto socket = harness.open(Transport::polling);
  ASSERT_NE(socket, nullptr);
  const auto poll = harness.start_poll(socket);
  harness.run_ready();
  EXPECT_FALSE(poll.done());  // the open packet is the handshake's response, not queued
  harness.receive(socket, R"(40{"instanceId":"dev"})");
  EXPECT_FALSE(connect_reply_sid(harness.finish(poll)).empty());
}

TEST(DeviceSocket, ConnectIsAnsweredWithANewSocketIoSid) {
  HubHarness harness;
  auto socket = harness.open(Transport::websocket);
  ASSERT_NE(socket, nullptr);
  EXPECT_TRUE(harness.next_packet(socket).starts_with("0{"));
  EXPECT_TRUE(harness.receive(socket, R"(40{"instanceId":"dev"})"));
  const std::string sid = connect_reply_sid(harness.next_packet(socket));
  EXPECT_TRUE(is_socket_id(sid)) << sid;
  EXPECT_NE(sid, socket->sid());  // the socket.io sid is not the Engine.IO session's
  EXPECT_EQ(harness.hub().stats().identified, 1U);
  EXPECT_EQ(harness.hub().stats().refused_auth, 0U);
}

TEST(DeviceSocket, ConnectWithoutAUsableInstanceIdIsRefused) {
  HubHarness harness;
  const std::string too_long = HubHarness::connect_packet(std::string(257, 'i'));
  const std::string connects[] = {
      "40", "40{}", R"(40{"instanceId":""})", R"(40{"instanceId":5})", "40not json", too_long};
  std::uint64_t refused = 0;
  for (const std::string& connect : connects) {
    auto socket = harness.open(Transport::polling);
    ASSERT_NE(socket, nullptr);
    EXPECT_TRUE(harness.receive(socket, connect)) << "a refused CONNECT leaves the session open";
    EXPECT_EQ(harness.poll(socket), refused_instance_id) << connect;
    EXPECT_EQ(harness.hub().stats().refused_auth, ++refused) << connect;
  }
  EXPECT_EQ(harness.hub().stats().identified, 0U);
}

TEST(DeviceSocket, InstanceIdOfTwoHundredFiftySixBytesIsAccepted) {
  HubHarness harness;
  const std::string instance_id(256, 'i');
  auto socket = harness.connected_polling_device(instance_id);
  ASSERT_NE(socket, nullptr);
  harness.hub().deliver_message(notification_json("m", {instance_id}));
  EXPECT_EQ(harness.poll(socket), push_packet("m"));
}

TEST(DeviceSocket, RefusedConnectCanBeRetried) {
  HubHarness harness;
  auto socket = harness.open(Transport::polling);
  ASSERT_NE(socket, nullptr);
  harness.receive(socket, "40");
  EXPECT_EQ(harness.poll(socket), refused_instance_id);
  harness.receive(socket, R"(40{"instanceId":"dev"})");
  EXPECT_FALSE(connect_reply_sid(harness.poll(socket)).empty());
}

TEST(DeviceSocket, StickyKeyHeaderNamesTheInstanceWhenTheAuthHasNone) {
  HubHarness harness;
  auto socket = harness.open(Transport::polling, testing::handshake_request("ios:prod:sticky-dev"));
  ASSERT_NE(socket, nullptr);
  harness.receive(socket, "40");
  EXPECT_FALSE(connect_reply_sid(harness.poll(socket)).empty());
  harness.hub().deliver_message(notification_json("m", {"sticky-dev"}));
  EXPECT_EQ(harness.poll(socket), push_packet("m"));
}

TEST(DeviceSocket, AuthInstanceIdWinsOverTheStickyKey) {
  HubHarness harness;
  auto socket = harness.open(Transport::polling, testing::handshake_request("ios:prod:sticky-dev"));
  ASSERT_NE(socket, nullptr);
  harness.receive(socket, R"(40{"instanceId":"auth-dev"})");
  EXPECT_FALSE(connect_reply_sid(harness.poll(socket)).empty());
  harness.hub().deliver_message(notification_json("for-sticky", {"sticky-dev"}));
  harness.hub().deliver_message(notification_json("for-auth", {"auth-dev"}));
  EXPECT_EQ(harness.poll(socket), push_packet("for-auth"));
}

TEST(DeviceSocket, MalformedStickyKeyIsNoInstanceId) {
  HubHarness harness;
  auto socket = harness.open(Transport::polling, testing::handshake_request("no-colons"));
  ASSERT_NE(socket, nullptr);
  harness.receive(socket, "40");
  EXPECT_EQ(harness.poll(socket), refused_instance_id);
}

TEST(DeviceSocket, ConnectToAnotherNamespaceIsRefused) {
  HubHarness harness;
  auto socket = harness.open(Transport::polling);
  ASSERT_NE(socket, nullptr);
  EXPECT_TRUE(harness.receive(socket, R"(40/admin,{"instanceId":"dev"})"));
  EXPECT_EQ(harness.poll(socket), R"(44/admin,{"message":"Invalid namespace"})");
  EXPECT_EQ(harness.hub().stats().identified, 0U);
}

TEST(DeviceSocket, SecondConnectIsIgnored) {
  HubHarness harness;
  auto socket = harness.connected_polling_device("dev");
  ASSERT_NE(socket, nullptr);
  EXPECT_TRUE(harness.receive(socket, R"(40{"instanceId":"other"})"));
  harness.send_marker(socket);
  EXPECT_EQ(harness.poll(socket), HubHarness::marker_reply());
  EXPECT_EQ(harness.hub().stats().identified, 1U);
}

TEST(DeviceSocket, AckEventIsAnsweredAndAcknowledgesThePush) {
  HubHarness harness;
  auto socket = harness.connected_polling_device("dev");
  ASSERT_NE(socket, nullptr);
  harness.hub().deliver_message(notification_json("m", {"dev"}));
  EXPECT_EQ(harness.poll(socket), push_packet("m"));
  EXPECT_TRUE(harness.receive(socket, R"(421["ack",{"msgId":"m"}])"));
  EXPECT_EQ(harness.poll(socket), R"(431[{"code":0}])");
  EXPECT_EQ(harness.hub().stats().acks, 1U);
}

TEST(DeviceSocket, AckEventWithoutAckIdAcknowledgesSilently) {
  HubHarness harness;
  auto socket = harness.connected_polling_device("dev");
  ASSERT_NE(socket, nullptr);
  harness.hub().deliver_message(notification_json("m", {"dev"}));
  EXPECT_EQ(harness.poll(socket), push_packet("m"));
  harness.receive(socket, R"(42["ack",{"msgId":"m"}])");
  harness.send_marker(socket);
  EXPECT_EQ(harness.poll(socket), HubHarness::marker_reply());
  EXPECT_EQ(harness.hub().stats().acks, 1U);
}

TEST(DeviceSocket, AckOfAnUnknownOrRepeatedMessageCountsNothingMore) {
  HubHarness harness;
  auto socket = harness.connected_polling_device("dev");
  ASSERT_NE(socket, nullptr);
  harness.hub().deliver_message(notification_json("m", {"dev"}));
  EXPECT_EQ(harness.poll(socket), push_packet("m"));
  harness.receive(socket, R"(42["ack",{"msgId":"m"}])");
  harness.receive(socket, R"(42["ack",{"msgId":"m"}])");
  harness.receive(socket, R"(42["ack",{"msgId":"never-sent"}])");
  harness.receive(socket, R"(42["ack",{}])");
  harness.receive(socket, R"(42["ack"])");
  EXPECT_EQ(harness.hub().stats().acks, 1U);
  EXPECT_FALSE(harness.closed(socket));
}

TEST(DeviceSocket, EveryEventAskingForAnAckIsAnswered) {
  HubHarness harness;
  auto socket = harness.connected_polling_device("dev");
  ASSERT_NE(socket, nullptr);
  harness.receive(socket, R"(427["pong"])");
  EXPECT_EQ(harness.poll(socket), R"(437[{"code":0}])");
  harness.receive(socket, "428not json");  // unreadable event data: still answered
  EXPECT_EQ(harness.poll(socket), R"(438[{"code":0}])");
}

TEST(DeviceSocket, EventsBeforeTheConnectAreIgnored) {
  HubHarness harness;
  auto socket = harness.open(Transport::polling);
  ASSERT_NE(socket, nullptr);
  EXPECT_TRUE(harness.receive(socket, R"(421["ack",{"msgId":"m"}])"));
  harness.receive(socket, R"(40{"instanceId":"dev"})");
  const std::string body = harness.poll(socket);
  EXPECT_FALSE(connect_reply_sid(body).empty()) << "only the CONNECT reply: " << body;
}

TEST(DeviceSocket, AcksAndEventsOnOtherNamespacesAreIgnored) {
  HubHarness harness;
  auto socket = harness.connected_polling_device("dev");
  ASSERT_NE(socket, nullptr);
  EXPECT_TRUE(harness.receive(socket, R"(431[{"code":0}])"));
  EXPECT_TRUE(harness.receive(socket, R"(42/admin,5["x"])"));
  EXPECT_TRUE(harness.receive(socket, "41/admin"));
  harness.send_marker(socket);
  EXPECT_EQ(harness.poll(socket), HubHarness::marker_reply());
}

TEST(DeviceSocket, RepeatedDeliveryOfAPendingPushIsSentOnce) {
  HubHarness harness;
  auto socket = harness.connected_polling_device("dev");
  ASSERT_NE(socket, nullptr);
  harness.hub().deliver_message(notification_json("m", {"dev"}));
  harness.hub().deliver_message(notification_json("m", {"dev"}));
  harness.send_marker(socket);
  std::string expected = push_packet("m");
  append_polling_packet(expected, HubHarness::marker_reply());
  EXPECT_EQ(harness.poll(socket), expected);
  EXPECT_EQ(harness.hub().stats().pushes_sent, 1U);
}

TEST(DeviceSocket, UnacknowledgedPushIsResentThenGivenUp) {
  PushConfig config = quiet_config();
  config.ack_timeout = 20ms;
  config.max_retries = 2;
  HubHarness harness(config);
  auto socket = connected_websocket_device(harness, "dev");
  ASSERT_NE(socket, nullptr);
  harness.hub().deliver_message(notification_json("m", {"dev"}));
  EXPECT_EQ(harness.next_packet(socket), push_packet("m"));
  EXPECT_EQ(harness.next_packet(socket), push_packet("m"));  // resend 1
  EXPECT_EQ(harness.next_packet(socket), push_packet("m"));  // resend 2
  EXPECT_TRUE(harness.run_until([&] { return harness.hub().stats().given_up == 1; }));
  harness.send_marker(socket);
  EXPECT_EQ(harness.next_packet(socket), HubHarness::marker_reply()) << "no third resend";
  const auto stats = harness.hub().stats();
  EXPECT_EQ(stats.pushes_sent, 1U);
  EXPECT_EQ(stats.retries, 2U);
  EXPECT_EQ(stats.acks, 0U);
  EXPECT_FALSE(harness.closed(socket));
}

TEST(DeviceSocket, AcknowledgedPushIsNotResent) {
  PushConfig config = quiet_config();
  config.ack_timeout = 100ms;
  config.ping_interval = 400ms;  // the ping comes long after the resend would have
  HubHarness harness(config);
  auto socket = connected_websocket_device(harness, "dev");
  ASSERT_NE(socket, nullptr);
  harness.hub().deliver_message(notification_json("m", {"dev"}));
  EXPECT_EQ(harness.next_packet(socket), push_packet("m"));
  harness.receive(socket, R"(42["ack",{"msgId":"m"}])");
  EXPECT_EQ(harness.next_packet(socket), "2");
  EXPECT_EQ(harness.hub().stats().retries, 0U);
  EXPECT_EQ(harness.hub().stats().acks, 1U);
}

TEST(DeviceSocket, PingWithoutPongClosesTheSession) {
  PushConfig config = quiet_config();
  config.ping_interval = 30ms;
  config.ping_timeout = 30ms;
  HubHarness harness(config);
  auto socket = connected_websocket_device(harness, "dev");
  ASSERT_NE(socket, nullptr);
  EXPECT_EQ(harness.next_packet(socket), "2");
  EXPECT_TRUE(harness.run_until([&] { return socket->closed(); }));
  EXPECT_EQ(harness.next_packet(socket), testing::socket_closed);
  const auto stats = harness.hub().stats();
  EXPECT_EQ(stats.heartbeat_timeouts, 1U);
  EXPECT_EQ(stats.connected, 0U);
  EXPECT_EQ(stats.identified, 0U);
  EXPECT_EQ(harness.hub().find(socket->sid()), nullptr);
}

TEST(DeviceSocket, PongKeepsTheSessionOpen) {
  PushConfig config = quiet_config();
  config.ping_interval = 20ms;
  config.ping_timeout = 300ms;  // well within the wait deadline: see the disabled test below
  HubHarness harness(config);
  auto socket = connected_websocket_device(harness, "dev");
  ASSERT_NE(socket, nullptr);
  for (int round = 0; round < 3; ++round) {
    EXPECT_EQ(harness.next_packet(socket), "2") << round;
    EXPECT_TRUE(harness.receive(socket, "3")) << round;
  }
  EXPECT_FALSE(harness.closed(socket));
  EXPECT_EQ(harness.hub().find(socket->sid()), socket);
  EXPECT_EQ(harness.hub().stats().heartbeat_timeouts, 0U);
}

// A pong re-arms the heartbeat: the next ping comes ping_interval after the pong,
// not at the old pong deadline (here: ping at 20 ms, pong at once, the next ping at
// ~40 ms rather than ~60 s).
TEST(DeviceSocket, NextPingComesAPingIntervalAfterThePong) {
  PushConfig config = quiet_config();
  config.ping_interval = 20ms;
  config.ping_timeout = 60s;
  HubHarness harness(config);
  auto socket = connected_websocket_device(harness, "dev");
  ASSERT_NE(socket, nullptr);
  EXPECT_EQ(harness.next_packet(socket), "2");
  EXPECT_TRUE(harness.receive(socket, "3"));
  EXPECT_EQ(harness.next_packet(socket), "2");
}

TEST(DeviceSocket, PongResetsThePingTimeout) {
  PushConfig config = quiet_config();
  config.ping_interval = 20ms;
  config.ping_timeout = 200ms;
  HubHarness harness(config);
  auto socket = connected_websocket_device(harness, "dev");
  ASSERT_NE(socket, nullptr);
  EXPECT_EQ(harness.next_packet(socket), "2");
  EXPECT_TRUE(harness.receive(socket, "3"));
  EXPECT_EQ(harness.next_packet(socket), "2");                       // the next ping: still open
  EXPECT_TRUE(harness.run_until([&] { return socket->closed(); }));  // this one unanswered
  EXPECT_EQ(harness.hub().stats().heartbeat_timeouts, 1U);
}

TEST(DeviceSocket, SessionThatNeverConnectsIsClosedAfterTheConnectTimeout) {
  PushConfig config = quiet_config();
  config.connect_timeout = 30ms;
  HubHarness harness(config);
  auto socket = harness.open(Transport::polling);
  ASSERT_NE(socket, nullptr);
  const auto poll = harness.start_poll(socket);
  EXPECT_EQ(harness.finish(poll), "1");
  EXPECT_TRUE(socket->closed());
  EXPECT_EQ(harness.hub().stats().heartbeat_timeouts, 1U);
  EXPECT_EQ(harness.hub().stats().connected, 0U);
  EXPECT_EQ(harness.hub().find(socket->sid()), nullptr);
}

TEST(DeviceSocket, RefusedConnectDoesNotStopTheConnectTimeout) {
  PushConfig config = quiet_config();
  config.connect_timeout = 30ms;
  HubHarness harness(config);
  auto socket = harness.open(Transport::polling);
  ASSERT_NE(socket, nullptr);
  harness.receive(socket, "40");
  EXPECT_EQ(harness.poll(socket), refused_instance_id);
  EXPECT_TRUE(harness.run_until([&] { return socket->closed(); }));
  EXPECT_EQ(harness.hub().stats().heartbeat_timeouts, 1U);
}

TEST(DeviceSocket, ConnectStopsTheConnectTimeout) {
  PushConfig config = quiet_config();
  config.connect_timeout = 100ms;
  config.ping_interval = 400ms;  // the ping comes long after the connect deadline
  HubHarness harness(config);
  auto socket = connected_websocket_device(harness, "dev");
  ASSERT_NE(socket, nullptr);
  EXPECT_EQ(harness.next_packet(socket), "2");
  EXPECT_FALSE(harness.closed(socket));
  EXPECT_EQ(harness.hub().stats().heartbeat_timeouts, 0U);
}

TEST(DeviceSocket, FullSendQueueClosesASlowConsumer) {
  PushConfig config = quiet_config();
  config.send_queue_messages = 3;
  HubHarness harness(config);
  auto socket = harness.connected_polling_device("dev");
  ASSERT_NE(socket, nullptr);
  // Never polled: each event asking for an ack queues one reply.
  EXPECT_TRUE(harness.receive(socket, R"(421["x"])"));
  EXPECT_TRUE(harness.receive(socket, R"(422["x"])"));
  EXPECT_TRUE(harness.receive(socket, R"(423["x"])")) << "three queued packets fit";
  EXPECT_FALSE(harness.receive(socket, R"(424["x"])"));
  EXPECT_TRUE(socket->closed());
  const auto stats = harness.hub().stats();
  EXPECT_EQ(stats.slow_consumers, 1U);
  EXPECT_EQ(stats.connected, 0U);
  EXPECT_EQ(harness.hub().find(socket->sid()), nullptr);
  EXPECT_EQ(harness.poll(socket), "1");
}

// The push whose own send finds the queue full closes the socket; nothing of it is
// touched afterwards (close() has emptied the pending pushes; run under valgrind once).
TEST(DeviceSocket, PushThatOverflowsTheSendQueueClosesASlowConsumer) {
  PushConfig config = quiet_config();
  config.send_queue_messages = 3;
  HubHarness harness(config);
  auto socket = harness.connected_polling_device("dev");
  ASSERT_NE(socket, nullptr);
  for (const char* id : {"m1", "m2", "m3"}) {
    harness.hub().deliver_message(notification_json(id, {"dev"}));
  }
  EXPECT_FALSE(harness.closed(socket)) << "three queued packets fit";
  harness.hub().deliver_message(notification_json("m4", {"dev"}));
  EXPECT_TRUE(harness.run_until([&] { return socket->closed(); }));
  EXPECT_EQ(harness.hub().stats().slow_consumers, 1U);
  EXPECT_EQ(harness.hub().stats().connected, 0U);
  EXPECT_EQ(harness.poll(socket), "1");
}

// A resend that finds the send queue full closes the socket and stops resending
// (close() has emptied the pending pushes it was iterating).
TEST(DeviceSocket, ResendsThatFillTheSendQueueCloseASlowConsumer) {
  PushConfig config = quiet_config();
  config.send_queue_messages = 3;
  config.ack_timeout = 20ms;
  HubHarness harness(config);
  auto socket = harness.connected_polling_device("dev");
  ASSERT_NE(socket, nullptr);
  for (const char* id : {"m1", "m2", "m3"}) {
    harness.hub().deliver_message(notification_json(id, {"dev"}));
  }
  // Never polled: the first resend overflows the queue while the others are due.
  EXPECT_TRUE(harness.run_until([&] { return socket->closed(); }));
  EXPECT_EQ(harness.hub().stats().slow_consumers, 1U);
  EXPECT_EQ(harness.hub().stats().connected, 0U);
  EXPECT_EQ(harness.poll(socket), "1");
}

TEST(DeviceSocket, PollAnswersEverythingQueuedInOneBody) {
  HubHarness harness;
  auto socket = harness.open(Transport::polling);
  ASSERT_NE(socket, nullptr);
  harness.receive(socket, R"(40{"instanceId":"dev"})");
  harness.hub().deliver_message(notification_json("m", {"dev"}));
  harness.send_marker(socket);
  const auto packets = [](std::string body) {
    std::vector<std::string> out;
    for (std::string_view packet : split_polling_body(body)) out.emplace_back(packet);
    return out;
  }(harness.poll(socket));
  ASSERT_EQ(packets.size(), 3U);
  EXPECT_FALSE(connect_reply_sid(packets[0]).empty()) << packets[0];
  EXPECT_EQ(packets[1], push_packet("m"));
  EXPECT_EQ(packets[2], HubHarness::marker_reply());
}

TEST(DeviceSocket, PollBodyStaysWithinTheMaximumPayload) {
  PushConfig config = quiet_config();
  config.max_payload_bytes = push_packet("m1").size() * 2;  // one push, not two and a separator
  HubHarness harness(config);
  auto socket = harness.connected_polling_device("dev");
  ASSERT_NE(socket, nullptr);
  harness.hub().deliver_message(notification_json("m1", {"dev"}));
  harness.hub().deliver_message(notification_json("m2", {"dev"}));
  EXPECT_EQ(harness.poll(socket), push_packet("m1"));
  EXPECT_EQ(harness.poll(socket), push_packet("m2"));
}

TEST(DeviceSocket, PacketLargerThanTheMaximumPayloadIsStillPolled) {
  PushConfig config = quiet_config();
  config.max_payload_bytes = 8;
  HubHarness harness(config);
  auto socket = harness.connected_polling_device("dev");
  ASSERT_NE(socket, nullptr);
  harness.hub().deliver_message(notification_json("m", {"dev"}));
  EXPECT_EQ(harness.poll(socket), push_packet("m"));
}

TEST(DeviceSocket, SecondWaitingPollClosesTheSession) {
  HubHarness harness;
  auto socket = harness.connected_polling_device("dev");
  ASSERT_NE(socket, nullptr);
  const auto first = harness.start_poll(socket);
  harness.run_ready();
  ASSERT_FALSE(first.done());
  EXPECT_EQ(harness.poll(socket), testing::poll_refused);
  EXPECT_EQ(harness.finish(first), "1");
  EXPECT_TRUE(socket->closed());
  EXPECT_EQ(harness.hub().stats().protocol_errors, 1U);
  EXPECT_EQ(harness.hub().stats().connected, 0U);
}

TEST(DeviceSocket, UpgradeAnswersTheWaitingPollWithANoop) {
  HubHarness harness;
  auto socket = harness.open(Transport::polling);
  ASSERT_NE(socket, nullptr);
  const auto poll = harness.start_poll(socket);
  harness.run_ready();
  ASSERT_FALSE(poll.done());
  harness.on_socket(socket, [](DeviceSocket& device) { device.upgrade_to_websocket(); });
  EXPECT_EQ(harness.finish(poll), "6");
  EXPECT_EQ(socket->transport(), Transport::websocket);
  EXPECT_EQ(harness.poll(socket), testing::poll_refused);
  EXPECT_FALSE(harness.closed(socket)) << "a poll after the upgrade is refused, not fatal";
  harness.receive(socket, R"(40{"instanceId":"dev"})");
  EXPECT_FALSE(connect_reply_sid(harness.next_packet(socket)).empty());
}

TEST(DeviceSocket, PacketsQueuedBeforeTheUpgradeGoToTheWebSocket) {
  HubHarness harness;
  auto socket = harness.open(Transport::polling);
  ASSERT_NE(socket, nullptr);
  harness.receive(socket, R"(40{"instanceId":"dev"})");
  harness.on_socket(socket, [](DeviceSocket& device) { device.upgrade_to_websocket(); });
  EXPECT_FALSE(connect_reply_sid(harness.next_packet(socket)).empty());
}

TEST(DeviceSocket, ClosePacketClosesTheSession) {
  HubHarness harness;
  auto socket = harness.connected_polling_device("dev");
  ASSERT_NE(socket, nullptr);
  EXPECT_FALSE(harness.receive(socket, "1"));
  EXPECT_TRUE(socket->closed());
  EXPECT_EQ(harness.hub().find(socket->sid()), nullptr);
  EXPECT_EQ(harness.hub().stats().connected, 0U);
  EXPECT_EQ(harness.hub().stats().identified, 0U);
  EXPECT_EQ(harness.hub().stats().protocol_errors, 0U);
  EXPECT_FALSE(harness.receive(socket, "3")) << "a closed socket reads nothing";
}

TEST(DeviceSocket, DisconnectPacketClosesTheSession) {
  HubHarness harness;
  auto socket = harness.connected_polling_device("dev");
  ASSERT_NE(socket, nullptr);
  EXPECT_FALSE(harness.receive(socket, "41"));
  EXPECT_TRUE(socket->closed());
  EXPECT_EQ(harness.hub().stats().connected, 0U);
}

TEST(DeviceSocket, UnreadablePacketsCloseTheSession) {
  HubHarness harness;
  const std::string_view packets[] = {"", "x", "9", "4x", "47", R"(451-["x",{}])", "46"};
  std::uint64_t errors = 0;
  for (std::string_view packet : packets) {
    auto socket = harness.connected_polling_device("dev");
    ASSERT_NE(socket, nullptr);
    EXPECT_FALSE(harness.receive(socket, packet)) << packet;
    EXPECT_TRUE(socket->closed()) << packet;
    EXPECT_EQ(harness.hub().stats().protocol_errors, ++errors) << packet;
  }
  EXPECT_EQ(harness.hub().stats().connected, 0U);
}

TEST(DeviceSocket, PingsUpgradesAndNoopsFromTheDeviceAreIgnored) {
  HubHarness harness;
  auto socket = harness.connected_polling_device("dev");
  ASSERT_NE(socket, nullptr);
  for (std::string_view packet : {"2probe", "2", "5", "6", "0"}) {
    EXPECT_TRUE(harness.receive(socket, packet)) << packet;
  }
  harness.send_marker(socket);
  EXPECT_EQ(harness.poll(socket), HubHarness::marker_reply());
}

}  // namespace
}  // namespace primesync::push
