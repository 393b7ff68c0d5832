// The long-polling transport through PushHub::handle_polling, without a network:
// the handshake, the Engine.IO error answers, POSTed packets and waiting GETs.
#include "push/polling_transport.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/verb.hpp>

#include "hub_harness.hpp"
#include "push/engine_io_packet.hpp"
#include "push/push_hub.hpp"

namespace primesync::push {
namespace {

namespace asio = boost::asio;
namespace beast_http = boost::beast::http;
using testing::HubHarness;
using testing::notification_json;
using testing::push_packet;
using testing::quiet_config;

// The request is a parameter, so it lives in the coroutine frame.
asio::awaitable<http::Response> serve(PushHub& hub, http::Request request) {
  auto response = hub.handle_polling(request);
  co_return co_await std::move(response);
}

http::Request polling_request(beast_http::verb method, std::string_view target,
                              std::string body = {}) {
  http::Request request{method, target, 11};
  request.body() = std::move(body);
  request.prepare_payload();
  return request;
}

std::string session_target(std::string_view sid) {
  return "/socket.io/?EIO=4&transport=polling&t=x&sid=" + std::string(sid);
}

std::string content_type(const http::Response& response) {
  return std::string(response[beast_http::field::content_type]);
}

class PollingTransport : public ::testing::Test {
 protected:
  explicit PollingTransport(const PushConfig& config = quiet_config()) : harness_(config) {}

  testing::PendingResult<http::Response> start(http::Request request) {
    return harness_.start(serve(harness_.hub(), std::move(request)));
  }

  http::Response finish(const testing::PendingResult<http::Response>& pending) {
    EXPECT_TRUE(harness_.run_until([&] { return pending.done(); })) << "no response";
    return pending.state->value;
  }

  http::Response send(http::Request request) { return finish(start(std::move(request))); }

  // A handshake; the session's sid.
  std::string handshake() {
    const http::Response response =
        send(polling_request(beast_http::verb::get, "/socket.io/?EIO=4&transport=polling&t=N1"));
    EXPECT_EQ(response.result(), beast_http::status::ok) << response.body();
    constexpr std::string_view sid_prefix = R"(0{"sid":")";
    const std::string& body = response.body();
    if (!body.starts_with(sid_prefix)) return {};
    return body.substr(sid_prefix.size(), body.find('"', sid_prefix.size()) - sid_prefix.size());
  }

  void expect_refused(const http::Response& response, EngineError error) {
    EXPECT_EQ(response.result(), error == EngineError::forbidden ? beast_http::status::forbidden
                                                                 : beast_http::status::bad_request);
    EXPECT_EQ(content_type(response), "application/json");
    EXPECT_EQ(response.body(), encode_engine_error(error));
  }

  HubHarness harness_;
};

TEST_F(PollingTransport, HandshakeAnswersTheOpenPacketOfferingTheUpgrade) {
  const http::Response response =
      send(polling_request(beast_http::verb::get, "/socket.io/?EIO=4&transport=polling&t=N1"));
  EXPECT_EQ(response.result(), beast_http::status::ok);
  EXPECT_EQ(content_type(response), "text/plain; charset=UTF-8");
  EXPECT_EQ(response[beast_http::field::cache_control], "no-store");
  const std::string sid = handshake();
  ASSERT_EQ(sid.size(), 22U);
  const auto socket = harness_.hub().find(sid);
  ASSERT_NE(socket, nullptr);
  EXPECT_EQ(socket->transport(), DeviceSocket::Transport::polling);
  const PushConfig config = quiet_config();
  EXPECT_EQ(response.body().substr(response.body().find(R"(","upgrades")")),
            R"(","upgrades":["websocket"],"pingInterval":)" +
                std::to_string(config.ping_interval.count()) +
                ",\"pingTimeout\":" + std::to_string(config.ping_timeout.count()) +
                ",\"maxPayload\":" + std::to_string(config.max_payload_bytes) + "}");
  EXPECT_EQ(harness_.hub().stats().connections_opened, 2U);
}

TEST_F(PollingTransport, OtherProtocolVersionsAreRefused) {
  for (std::string_view target :
       {"/socket.io/?EIO=3&transport=polling", "/socket.io/?transport=polling", "/socket.io/"}) {
    expect_refused(send(polling_request(beast_http::verb::get, target)),
                   EngineError::unsupported_protocol_version);
  }
}

TEST_F(PollingTransport, OtherTransportsAreRefused) {
  for (std::string_view target : {"/socket.io/?EIO=4&transport=websocket",
                                  "/socket.io/?EIO=4&transport=flashsocket", "/socket.io/?EIO=4"}) {
    expect_refused(send(polling_request(beast_http::verb::get, target)),
                   EngineError::unknown_transport);
  }
}

TEST_F(PollingTransport, HandshakeMustBeAGet) {
  expect_refused(
      send(polling_request(beast_http::verb::post, "/socket.io/?EIO=4&transport=polling", "40")),
      EngineError::bad_handshake_method);
  EXPECT_EQ(harness_.hub().stats().connections_opened, 0U);
}

TEST_F(PollingTransport, UnknownSidIsRefused) {
  expect_refused(send(polling_request(beast_http::verb::get, session_target("no-such-sid"))),
                 EngineError::unknown_sid);
  expect_refused(send(polling_request(beast_http::verb::post, session_target("no-such-sid"), "3")),
                 EngineError::unknown_sid);
}

class PollingTransportWithOneConnection : public PollingTransport {
 protected:
  static PushConfig one_connection() {
    PushConfig config = quiet_config();
    config.max_connections = 1;
    return config;
  }
  PollingTransportWithOneConnection() : PollingTransport(one_connection()) {}
};

TEST_F(PollingTransportWithOneConnection, HandshakeOverTheConnectionLimitIsForbidden) {
  EXPECT_FALSE(handshake().empty());
  expect_refused(
      send(polling_request(beast_http::verb::get, "/socket.io/?EIO=4&transport=polling")),
      EngineError::forbidden);
  EXPECT_EQ(harness_.hub().stats().connections_refused, 1U);
}

TEST_F(PollingTransport, PostedPacketsReachTheSessionAndGetSendsItsPackets) {
  const std::string sid = handshake();
  std::string body;
  append_polling_packet(body, R"(40{"instanceId":"device-a"})");
  append_polling_packet(body, R"(421["ping"])");
  const http::Response posted =
      send(polling_request(beast_http::verb::post, session_target(sid), body));
  EXPECT_EQ(posted.result(), beast_http::status::ok);
  EXPECT_EQ(posted.body(), "ok");

  const http::Response polled = send(polling_request(beast_http::verb::get, session_target(sid)));
  EXPECT_EQ(polled.result(), beast_http::status::ok);
  EXPECT_EQ(content_type(polled), "text/plain; charset=UTF-8");
  const auto packets = split_polling_body(polled.body());
  ASSERT_EQ(packets.size(), 2U) << polled.body();
  EXPECT_TRUE(packets[0].starts_with(R"(40{"sid":")")) << polled.body();
  EXPECT_EQ(packets[1], R"(431[{"code":0}])");
}

TEST_F(PollingTransport, WaitingGetIsAnsweredWithAPush) {
  const std::string sid = handshake();
  send(polling_request(beast_http::verb::post, session_target(sid),
                       R"(40{"instanceId":"device-a"})"));
  EXPECT_TRUE(send(polling_request(beast_http::verb::get, session_target(sid)))
                  .body()
                  .starts_with(R"(40{"sid":")"));
  const auto waiting = start(polling_request(beast_http::verb::get, session_target(sid)));
  harness_.run_ready();
  ASSERT_FALSE(waiting.done());
  harness_.hub().deliver_message(notification_json("m", {"device-a"}));
  EXPECT_EQ(finish(waiting).body(), push_packet("m"));
}

TEST_F(PollingTransport, PostedCloseEndsTheSessionAndIsAnsweredOk) {
  const std::string sid = handshake();
  const http::Response posted =
      send(polling_request(beast_http::verb::post, session_target(sid), "1"));
  EXPECT_EQ(posted.body(), "ok");
  EXPECT_EQ(harness_.hub().find(sid), nullptr);
  expect_refused(send(polling_request(beast_http::verb::get, session_target(sid))),
                 EngineError::unknown_sid);
}

TEST_F(PollingTransport, OversizedPostClosesTheSession) {
  const std::string sid = handshake();
  const std::string body(quiet_config().max_payload_bytes + 1, '6');
  expect_refused(send(polling_request(beast_http::verb::post, session_target(sid), body)),
                 EngineError::bad_request);
  EXPECT_EQ(harness_.hub().find(sid), nullptr);
  EXPECT_EQ(harness_.hub().stats().protocol_errors, 1U);
}

TEST_F(PollingTransport, OtherMethodsOnASessionAreBadRequests) {
  const std::string sid = handshake();
  expect_refused(send(polling_request(beast_http::verb::put, session_target(sid), "3")),
                 EngineError::bad_request);
  EXPECT_NE(harness_.hub().find(sid), nullptr);
}

TEST_F(PollingTransport, SecondWaitingGetIsRefusedAndClosesTheSession) {
  const std::string sid = handshake();
  const auto first = start(polling_request(beast_http::verb::get, session_target(sid)));
  harness_.run_ready();
  ASSERT_FALSE(first.done());
  expect_refused(send(polling_request(beast_http::verb::get, session_target(sid))),
                 EngineError::bad_request);
  const http::Response answered = finish(first);
  EXPECT_EQ(answered.result(), beast_http::status::ok);
  EXPECT_EQ(answered.body(), "1");
  EXPECT_EQ(harness_.hub().find(sid), nullptr);
}

TEST_F(PollingTransport, GetAfterTheUpgradeIsABadRequest) {
  const std::string sid = handshake();
  const auto socket = harness_.hub().find(sid);
  ASSERT_NE(socket, nullptr);
  harness_.on_socket(socket, [](DeviceSocket& device) { device.upgrade_to_websocket(); });
  expect_refused(send(polling_request(beast_http::verb::get, session_target(sid))),
                 EngineError::bad_request);
  EXPECT_NE(harness_.hub().find(sid), nullptr);
}

}  // namespace
}  // namespace primesync::push
