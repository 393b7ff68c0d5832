// The hub without a network: routing notifications to the connected devices they
// list, the outbox Notifier, acknowledgements by instance id, the connection limit,
// stop(), and push.requireToken.
#include "push/push_hub.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "auth/jwt.hpp"
#include "hub_harness.hpp"
#include "push/engine_io_packet.hpp"

namespace primesync::push {
namespace {

using namespace std::chrono_literals;
using testing::HubHarness;
using testing::notification_json;
using testing::push_packet;
using testing::quiet_config;
using Transport = DeviceSocket::Transport;

TEST(PushHub, NotificationReachesOnlyTheListedDevices) {
  HubHarness harness;
  auto device_a = harness.connected_polling_device("device-a");
  auto device_b = harness.connected_polling_device("device-b");
  auto device_c = harness.connected_polling_device("device-c");
  ASSERT_TRUE(device_a && device_b && device_c);
  harness.hub().deliver_message(notification_json("m", {"device-a", "device-c", "offline"}));
  EXPECT_EQ(harness.poll(device_a), push_packet("m"));
  EXPECT_EQ(harness.poll(device_c), push_packet("m"));
  harness.send_marker(device_b);
  EXPECT_EQ(harness.poll(device_b), HubHarness::marker_reply()) << "nothing for device-b";
  const auto stats = harness.hub().stats();
  EXPECT_EQ(stats.messages_received, 1U);
  EXPECT_EQ(stats.pushes_sent, 2U);
  EXPECT_EQ(stats.malformed_messages, 0U);
}

TEST(PushHub, EverySessionOfAnInstanceReceivesItsPushes) {
  HubHarness harness;
  auto first = harness.connected_polling_device("device-a");
  auto second = harness.connected_polling_device("device-a");
  ASSERT_TRUE(first && second);
  EXPECT_EQ(harness.hub().stats().identified, 2U);
  harness.hub().deliver_message(notification_json("m", {"device-a"}));
  EXPECT_EQ(harness.poll(first), push_packet("m"));
  EXPECT_EQ(harness.poll(second), push_packet("m"));
}

TEST(PushHub, ClosingOneSessionOfAnInstanceKeepsTheOther) {
  HubHarness harness;
  auto first = harness.connected_polling_device("device-a");
  auto second = harness.connected_polling_device("device-a");
  ASSERT_TRUE(first && second);
  EXPECT_FALSE(harness.receive(first, "1"));
  EXPECT_EQ(harness.hub().stats().identified, 1U);
  harness.hub().deliver_message(notification_json("m", {"device-a"}));
  EXPECT_EQ(harness.poll(second), push_packet("m"));
  EXPECT_EQ(harness.hub().stats().pushes_sent, 1U);
}

TEST(PushHub, WebSocketSessionReceivesPushes) {
  HubHarness harness;
  auto socket = harness.open(Transport::websocket);
  ASSERT_NE(socket, nullptr);
  EXPECT_TRUE(harness.next_packet(socket).starts_with("0{"));
  harness.receive(socket, HubHarness::connect_packet("device-a"));
  EXPECT_TRUE(harness.next_packet(socket).starts_with(R"(40{"sid":")"));
  harness.hub().deliver_message(notification_json("m", {"device-a"}));
  EXPECT_EQ(harness.next_packet(socket), push_packet("m"));
}

TEST(PushHub, DeliverRoutesOutboxEntriesAndMarksThemAllDelivered) {
  HubHarness harness;
  auto socket = harness.connected_polling_device("device-a");
  ASSERT_NE(socket, nullptr);
  const std::vector<OutboxEntry> entries = {
      OutboxEntry{1, "user-1", notification_json("m1", {"device-a"}), 0},
      OutboxEntry{2, "user-1", "not a notification", 0},
      OutboxEntry{3, "user-1", notification_json("m3", {"device-b"}), 0},
  };
  std::vector<bool> delivered(entries.size(), false);
  harness.hub().deliver(entries, delivered);
  EXPECT_EQ(delivered, (std::vector<bool>{true, true, true}));
  harness.send_marker(socket);
  std::string expected = push_packet("m1");
  append_polling_packet(expected, HubHarness::marker_reply());
  EXPECT_EQ(harness.poll(socket), expected);
  const auto stats = harness.hub().stats();
  EXPECT_EQ(stats.messages_received, 3U);
  EXPECT_EQ(stats.malformed_messages, 1U);
  EXPECT_EQ(stats.pushes_sent, 1U);
  EXPECT_EQ(harness.hub().name(), "hub");
}

TEST(PushHub, MalformedNotificationIsCountedAndDropped) {
  HubHarness harness;
  harness.hub().deliver_message(R"({"msgId":"m","type":"CONFIG_CHANGE"})");
  harness.hub().deliver_message("");
  const auto stats = harness.hub().stats();
  EXPECT_EQ(stats.messages_received, 2U);
  EXPECT_EQ(stats.malformed_messages, 2U);
  EXPECT_EQ(stats.pushes_sent, 0U);
}

TEST(PushHub, NotificationForADeviceBeforeItsConnectIsNotQueued) {
  HubHarness harness;
  auto socket = harness.open(Transport::polling, testing::handshake_request("ios:prod:device-a"));
  ASSERT_NE(socket, nullptr);
  harness.hub().deliver_message(notification_json("early", {"device-a"}));
  harness.receive(socket, "40");
  harness.send_marker(socket);
  const std::string body = harness.poll(socket);
  const auto packets = split_polling_body(body);
  ASSERT_EQ(packets.size(), 2U) << body;
  EXPECT_TRUE(packets[0].starts_with(R"(40{"sid":")")) << body;
  EXPECT_EQ(packets[1], HubHarness::marker_reply());
  EXPECT_EQ(harness.hub().stats().pushes_sent, 0U);
}

TEST(PushHub, AcknowledgeByInstanceIdAcknowledgesThePendingPush) {
  PushConfig config = quiet_config();
  config.ack_timeout = 100ms;
  config.ping_interval = 400ms;  // the ping comes long after the resend would have
  HubHarness harness(config);
  auto socket = harness.open(Transport::websocket);
  ASSERT_NE(socket, nullptr);
  EXPECT_TRUE(harness.next_packet(socket).starts_with("0{"));
  harness.receive(socket, HubHarness::connect_packet("device-a"));
  EXPECT_TRUE(harness.next_packet(socket).starts_with(R"(40{"sid":")"));
  harness.hub().deliver_message(notification_json("m", {"device-a"}));
  EXPECT_EQ(harness.next_packet(socket), push_packet("m"));
  harness.hub().acknowledge("device-a", "m");
  EXPECT_TRUE(harness.run_until([&] { return harness.hub().stats().acks == 1; }));
  EXPECT_EQ(harness.next_packet(socket), "2") << "the ping, no resend";
  EXPECT_EQ(harness.hub().stats().retries, 0U);
}

TEST(PushHub, AcknowledgeForAnotherInstanceChangesNothing) {
  HubHarness harness;
  auto socket = harness.connected_polling_device("device-a");
  ASSERT_NE(socket, nullptr);
  harness.hub().deliver_message(notification_json("m", {"device-a"}));
  EXPECT_EQ(harness.poll(socket), push_packet("m"));
  harness.hub().acknowledge("device-b", "m");
  harness.hub().acknowledge("device-a", "other");
  harness.send_marker(socket);
  EXPECT_EQ(harness.poll(socket), HubHarness::marker_reply());
  EXPECT_EQ(harness.hub().stats().acks, 0U);
}

TEST(PushHub, FindsOpenSessionsBySid) {
  HubHarness harness;
  auto socket = harness.open(Transport::polling);
  ASSERT_NE(socket, nullptr);
  EXPECT_EQ(harness.hub().find(socket->sid()), socket);
  EXPECT_EQ(harness.hub().find("unknown-sid"), nullptr);
  EXPECT_EQ(harness.hub().find(""), nullptr);
  auto other = harness.open(Transport::polling);
  ASSERT_NE(other, nullptr);
  EXPECT_NE(other->sid(), socket->sid());
  EXPECT_EQ(harness.hub().find(other->sid()), other);
}

TEST(PushHub, ClosedSessionIsForgottenAndGetsNoPushes) {
  HubHarness harness;
  auto socket = harness.connected_polling_device("device-a");
  ASSERT_NE(socket, nullptr);
  EXPECT_EQ(harness.hub().stats().connected, 1U);
  EXPECT_EQ(harness.hub().stats().identified, 1U);
  EXPECT_FALSE(harness.receive(socket, "1"));
  EXPECT_EQ(harness.hub().find(socket->sid()), nullptr);
  EXPECT_EQ(harness.hub().stats().connected, 0U);
  EXPECT_EQ(harness.hub().stats().identified, 0U);
  harness.hub().deliver_message(notification_json("m", {"device-a"}));
  harness.run_ready();
  EXPECT_EQ(harness.hub().stats().pushes_sent, 0U);
}

TEST(PushHub, SessionsOverTheConnectionLimitAreRefused) {
  PushConfig config = quiet_config();
  config.max_connections = 2;
  HubHarness harness(config);
  auto first = harness.open(Transport::polling);
  auto second = harness.open(Transport::websocket);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(harness.open(Transport::polling), nullptr);
  EXPECT_EQ(harness.open(Transport::websocket), nullptr);
  auto stats = harness.hub().stats();
  EXPECT_EQ(stats.connections_opened, 2U);
  EXPECT_EQ(stats.connections_refused, 2U);
  EXPECT_EQ(stats.connected, 2U);

  EXPECT_FALSE(harness.receive(first, "1"));  // a place frees up
  auto third = harness.open(Transport::polling);
  EXPECT_NE(third, nullptr);
  stats = harness.hub().stats();
  EXPECT_EQ(stats.connections_opened, 3U);
  EXPECT_EQ(stats.connected, 2U);
}

TEST(PushHub, StopClosesEverySessionAndRefusesNewOnes) {
  HubHarness harness;
  auto polling = harness.connected_polling_device("device-a");
  auto websocket = harness.open(Transport::websocket);
  ASSERT_TRUE(polling && websocket);
  EXPECT_TRUE(harness.next_packet(websocket).starts_with("0{"));
  const auto waiting_poll = harness.start_poll(polling);
  const auto waiting_write = harness.start_next_packet(websocket);
  harness.run_ready();
  ASSERT_FALSE(waiting_poll.done());
  ASSERT_FALSE(waiting_write.done());

  harness.hub().stop();
  EXPECT_TRUE(harness.hub().stopping());
  EXPECT_EQ(harness.finish(waiting_poll), "1");
  EXPECT_EQ(harness.finish(waiting_write), testing::socket_closed);
  EXPECT_TRUE(polling->closed());
  EXPECT_TRUE(websocket->closed());
  EXPECT_EQ(harness.hub().stats().connected, 0U);
  EXPECT_EQ(harness.hub().stats().identified, 0U);
  EXPECT_EQ(harness.open(Transport::polling), nullptr);
  EXPECT_EQ(harness.hub().stats().connections_refused, 1U);
}

// push.requireToken: the CONNECT carries a token, and a device gets only its user's pushes.
class PushHubRequiringTokens : public ::testing::Test {
 protected:
  static PushConfig requiring_tokens() {
    PushConfig config = quiet_config();
    config.require_token = true;
    return config;
  }

  static std::string token_for(std::string user_id, std::string_view secret = testing::jwt_secret,
                               std::int64_t expires_in_seconds = 3600) {
    const Millis now = wall_clock_now();
    return auth::sign_token(
        auth::TokenClaims{std::move(user_id), std::nullopt, now / 1000 + expires_in_seconds},
        secret, now);
  }

  static std::string connect_with_token(std::string_view instance_id, std::string_view token) {
    return R"(40{"instanceId":")" + std::string(instance_id) + R"(","token":")" +
           std::string(token) + R"("})";
  }

  HubHarness harness_{requiring_tokens()};
};

constexpr std::string_view refused_token =
    R"(44{"message":"auth.token: missing, malformed or expired"})";

TEST_F(PushHubRequiringTokens, ConnectWithAValidTokenIsAccepted) {
  auto socket = harness_.open(Transport::polling);
  ASSERT_NE(socket, nullptr);
  harness_.receive(socket, connect_with_token("device-a", token_for("user-1")));
  EXPECT_TRUE(harness_.poll(socket).starts_with(R"(40{"sid":")"));
  EXPECT_EQ(harness_.hub().stats().refused_auth, 0U);
  EXPECT_EQ(harness_.hub().stats().identified, 1U);
}

TEST_F(PushHubRequiringTokens, ConnectWithoutAGoodTokenIsRefused) {
  const std::string connects[] = {
      HubHarness::connect_packet("device-a"),
      connect_with_token("device-a", ""),
      connect_with_token("device-a", "not.a.token"),
      connect_with_token("device-a", token_for("user-1", "another-secret")),
      connect_with_token("device-a", token_for("user-1", testing::jwt_secret, -3600)),
  };
  std::uint64_t refused = 0;
  for (const std::string& connect : connects) {
    auto socket = harness_.open(Transport::polling);
    ASSERT_NE(socket, nullptr);
    EXPECT_TRUE(harness_.receive(socket, connect)) << connect;
    EXPECT_EQ(harness_.poll(socket), refused_token) << connect;
    EXPECT_EQ(harness_.hub().stats().refused_auth, ++refused) << connect;
  }
  EXPECT_EQ(harness_.hub().stats().identified, 0U);
}

TEST_F(PushHubRequiringTokens, DeviceReceivesOnlyItsUsersPushes) {
  auto socket = harness_.open(Transport::polling);
  ASSERT_NE(socket, nullptr);
  harness_.receive(socket, connect_with_token("device-a", token_for("user-1")));
  EXPECT_TRUE(harness_.poll(socket).starts_with(R"(40{"sid":")"));
  harness_.hub().deliver_message(notification_json("for-user-2", {"device-a"}, "user-2"));
  harness_.hub().deliver_message(notification_json("for-user-1", {"device-a"}, "user-1"));
  harness_.send_marker(socket);
  std::string expected = push_packet("for-user-1");
  append_polling_packet(expected, HubHarness::marker_reply());
  EXPECT_EQ(harness_.poll(socket), expected);
  EXPECT_EQ(harness_.hub().stats().pushes_sent, 1U);
}

TEST(PushHub, WithoutRequireTokenPushesOfEveryUserAreDelivered) {
  HubHarness harness;  // the app sends no token on the socket
  auto socket = harness.connected_polling_device("device-a");
  ASSERT_NE(socket, nullptr);
  harness.hub().deliver_message(notification_json("m", {"device-a"}, "any-user"));
  EXPECT_EQ(harness.poll(socket), push_packet("m"));
}

}  // namespace
}  // namespace primesync::push
