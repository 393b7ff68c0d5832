// Engine.IO 4 packets: parsing, polling bodies, the open packet, request queries and
// the error bodies.
#include "push/engine_io_packet.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace primesync::push {
namespace {

using namespace std::chrono_literals;

TEST(EngineIoPacket, ParsesEveryPacketTypeWithItsPayload) {
  const std::vector<std::pair<std::string_view, EnginePacketType>> cases = {
      {"0{\"sid\":\"s\"}", EnginePacketType::open},
      {"1", EnginePacketType::close},
      {"2probe", EnginePacketType::ping},
      {"3probe", EnginePacketType::pong},
      {"42[\"x\"]", EnginePacketType::message},
      {"5", EnginePacketType::upgrade},
      {"6", EnginePacketType::noop},
  };
  for (const auto& [text, type] : cases) {
    const auto packet = parse_engine_packet(text);
    ASSERT_TRUE(packet.has_value()) << text;
    EXPECT_EQ(packet->type, type) << text;
    EXPECT_EQ(packet->payload, text.substr(1)) << text;
  }
}

TEST(EngineIoPacket, TypeWithoutPayloadHasAnEmptyPayload) {
  const auto packet = parse_engine_packet("2");
  ASSERT_TRUE(packet.has_value());
  EXPECT_EQ(packet->type, EnginePacketType::ping);
  EXPECT_TRUE(packet->payload.empty());
}

TEST(EngineIoPacket, EmptyTextIsNotAPacket) {
  EXPECT_FALSE(parse_engine_packet("").has_value());
}

TEST(EngineIoPacket, UnknownTypeIsNotAPacket) {
  for (std::string_view text : {"7", "9hello", "x", "/", "b4AAA", " 4"}) {
    EXPECT_FALSE(parse_engine_packet(text).has_value()) << text;
  }
}

TEST(EngineIoPacket, SplitsPollingBodyOnRecordSeparators) {
  const auto packets = split_polling_body(
      "40{\"instanceId\":\"a\"}\x1e"
      "3\x1e"
      "42[\"ack\"]");
  EXPECT_EQ(packets,
            (std::vector<std::string_view>{"40{\"instanceId\":\"a\"}", "3", "42[\"ack\"]"}));
}

TEST(EngineIoPacket, SplitPollingBodyWithOnePacketReturnsIt) {
  EXPECT_EQ(split_polling_body("3"), (std::vector<std::string_view>{"3"}));
}

TEST(EngineIoPacket, SplitPollingBodyDropsEmptyParts) {
  EXPECT_EQ(split_polling_body("\x1e\x1e"
                               "2\x1e\x1e"
                               "3\x1e"),
            (std::vector<std::string_view>{"2", "3"}));
  EXPECT_TRUE(split_polling_body("").empty());
  EXPECT_TRUE(split_polling_body("\x1e").empty());
  EXPECT_TRUE(split_polling_body("\x1e\x1e\x1e").empty());
}

TEST(EngineIoPacket, AppendPollingPacketSeparatesPacketsOnlyBetweenThem) {
  std::string body;
  append_polling_packet(body, "40{\"sid\":\"x\"}");
  EXPECT_EQ(body, "40{\"sid\":\"x\"}");
  append_polling_packet(body, "2");
  append_polling_packet(body, "42[\"CONFIG_CHANGE\",{}]");
  EXPECT_EQ(body,
            "40{\"sid\":\"x\"}\x1e"
            "2\x1e"
            "42[\"CONFIG_CHANGE\",{}]");
}

TEST(EngineIoPacket, AppendedPacketsSplitBackToTheSamePackets) {
  const std::vector<std::string_view> packets = {"0{\"sid\":\"s\"}", "2", "6",
                                                 "42[\"x\",{\"a\":[1,2]}]"};
  std::string body;
  for (std::string_view packet : packets) append_polling_packet(body, packet);
  EXPECT_EQ(split_polling_body(body), packets);
}

TEST(EngineIoPacket, OpenPacketOffersTheWebSocketUpgradeWhenAsked) {
  const std::string open = encode_open_packet(OpenParameters{"abc", true, 25000ms, 20000ms, 65536});
  EXPECT_EQ(open, R"(0{"sid":"abc","upgrades":["websocket"],"pingInterval":25000,)"
                  R"("pingTimeout":20000,"maxPayload":65536})");
}

TEST(EngineIoPacket, OpenPacketWithoutUpgradeHasAnEmptyUpgradeList) {
  const std::string open = encode_open_packet(OpenParameters{"s-1_Z", false, 300ms, 200ms, 1000});
  EXPECT_EQ(open, R"(0{"sid":"s-1_Z","upgrades":[],"pingInterval":300,"pingTimeout":200,)"
                  R"("maxPayload":1000})");
}

TEST(EngineIoPacket, QueryOfAHandshakeHasNoSid) {
  const EngineQuery query = parse_engine_query("/socket.io/?EIO=4&transport=polling&t=NzY1_x");
  EXPECT_EQ(query.protocol, "4");
  EXPECT_EQ(query.transport, "polling");
  EXPECT_EQ(query.sid, "");
}

TEST(EngineIoPacket, QueryReadsTheSidWhateverTheParameterOrder) {
  const EngineQuery query =
      parse_engine_query("/socket.io/?t=abc&sid=Ab-_0123456789xyzXYZ12&transport=websocket&EIO=4");
  EXPECT_EQ(query.protocol, "4");
  EXPECT_EQ(query.transport, "websocket");
  EXPECT_EQ(query.sid, "Ab-_0123456789xyzXYZ12");
}

TEST(EngineIoPacket, QueryOtherParametersDoNotMatchByPrefix) {
  const EngineQuery query = parse_engine_query("/socket.io/?EIO3=x&sidx=y&transports=z&EIO=3");
  EXPECT_EQ(query.protocol, "3");
  EXPECT_EQ(query.transport, "");
  EXPECT_EQ(query.sid, "");
}

TEST(EngineIoPacket, QueryParameterWithoutValueIsEmpty) {
  const EngineQuery query = parse_engine_query("/socket.io/?EIO&transport=&sid");
  EXPECT_EQ(query.protocol, "");
  EXPECT_EQ(query.transport, "");
  EXPECT_EQ(query.sid, "");
}

TEST(EngineIoPacket, TargetWithoutQueryHasNoParameters) {
  for (std::string_view target : {"/socket.io/", "", "/socket.io/EIO=4&transport=polling"}) {
    const EngineQuery query = parse_engine_query(target);
    EXPECT_EQ(query.protocol, "") << target;
    EXPECT_EQ(query.transport, "") << target;
    EXPECT_EQ(query.sid, "") << target;
  }
  const EngineQuery empty_query = parse_engine_query("/socket.io/?");
  EXPECT_EQ(empty_query.protocol, "");
  EXPECT_EQ(empty_query.transport, "");
  EXPECT_EQ(empty_query.sid, "");
}

TEST(EngineIoPacket, ErrorBodiesCarryTheReferenceServersCodesAndMessages) {
  EXPECT_EQ(encode_engine_error(EngineError::unknown_transport),
            R"({"code":0,"message":"Transport unknown"})");
  EXPECT_EQ(encode_engine_error(EngineError::unknown_sid),
            R"({"code":1,"message":"Session ID unknown"})");
  EXPECT_EQ(encode_engine_error(EngineError::bad_handshake_method),
            R"({"code":2,"message":"Bad handshake method"})");
  EXPECT_EQ(encode_engine_error(EngineError::bad_request), R"({"code":3,"message":"Bad request"})");
  EXPECT_EQ(encode_engine_error(EngineError::forbidden), R"({"code":4,"message":"Forbidden"})");
  EXPECT_EQ(encode_engine_error(EngineError::unsupported_protocol_version),
            R"({"code":5,"message":"Unsupported protocol version"})");
}

}  // namespace
}  // namespace primesync::push
