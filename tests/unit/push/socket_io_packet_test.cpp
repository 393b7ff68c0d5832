// socket.io 5 packets: parsing what devices send, reading events, and the exact
// Engine.IO message frames the hub sends.
#include "push/socket_io_packet.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <string_view>

namespace primesync::push {
namespace {

TEST(SocketIoPacket, BareConnectIsOnTheDefaultNamespaceWithoutData) {
  const auto packet = parse_socket_packet("0");
  ASSERT_TRUE(packet.has_value());
  EXPECT_EQ(packet->type, SocketPacketType::connect);
  EXPECT_EQ(packet->name_space, "/");
  EXPECT_FALSE(packet->ack_id.has_value());
  EXPECT_TRUE(packet->data.empty());
}

TEST(SocketIoPacket, ConnectCarriesItsAuthObject) {
  const auto packet = parse_socket_packet(R"(0{"instanceId":"a"})");
  ASSERT_TRUE(packet.has_value());
  EXPECT_EQ(packet->type, SocketPacketType::connect);
  EXPECT_EQ(packet->name_space, "/");
  EXPECT_FALSE(packet->ack_id.has_value());
  EXPECT_EQ(packet->data, R"({"instanceId":"a"})");
}

TEST(SocketIoPacket, ConnectToANamedNamespace) {
  const auto packet = parse_socket_packet(R"(0/admin,{"instanceId":"a"})");
  ASSERT_TRUE(packet.has_value());
  EXPECT_EQ(packet->type, SocketPacketType::connect);
  EXPECT_EQ(packet->name_space, "/admin");
  EXPECT_FALSE(packet->ack_id.has_value());
  EXPECT_EQ(packet->data, R"({"instanceId":"a"})");
}

TEST(SocketIoPacket, NamespaceWithoutDataLeavesDataEmpty) {
  const auto packet = parse_socket_packet("1/admin");
  ASSERT_TRUE(packet.has_value());
  EXPECT_EQ(packet->type, SocketPacketType::disconnect);
  EXPECT_EQ(packet->name_space, "/admin");
  EXPECT_TRUE(packet->data.empty());
}

TEST(SocketIoPacket, EventWantingAnAckHasItsAckId) {
  const auto packet = parse_socket_packet(R"(21["ack",{"msgId":"m"}])");
  ASSERT_TRUE(packet.has_value());
  EXPECT_EQ(packet->type, SocketPacketType::event);
  EXPECT_EQ(packet->name_space, "/");
  EXPECT_EQ(packet->ack_id, std::optional<std::uint64_t>{1});
  EXPECT_EQ(packet->data, R"(["ack",{"msgId":"m"}])");
}

TEST(SocketIoPacket, EventWithoutAckIdHasNone) {
  const auto packet = parse_socket_packet(R"(2["x"])");
  ASSERT_TRUE(packet.has_value());
  EXPECT_EQ(packet->type, SocketPacketType::event);
  EXPECT_FALSE(packet->ack_id.has_value());
  EXPECT_EQ(packet->data, R"(["x"])");
}

TEST(SocketIoPacket, EventOnANamespaceWithAMultiDigitAckId) {
  const auto packet = parse_socket_packet(R"(2/chat,1234["x",1])");
  ASSERT_TRUE(packet.has_value());
  EXPECT_EQ(packet->name_space, "/chat");
  EXPECT_EQ(packet->ack_id, std::optional<std::uint64_t>{1234});
  EXPECT_EQ(packet->data, R"(["x",1])");
}

TEST(SocketIoPacket, AckCarriesItsIdAndArguments) {
  const auto packet = parse_socket_packet(R"(35[{"code":0}])");
  ASSERT_TRUE(packet.has_value());
  EXPECT_EQ(packet->type, SocketPacketType::ack);
  EXPECT_EQ(packet->ack_id, std::optional<std::uint64_t>{5});
  EXPECT_EQ(packet->data, R"([{"code":0}])");
}

TEST(SocketIoPacket, LargestAckIdIsRead) {
  const auto packet = parse_socket_packet("318446744073709551615[]");
  ASSERT_TRUE(packet.has_value());
  EXPECT_EQ(packet->ack_id, std::optional<std::uint64_t>{18446744073709551615ULL});
  EXPECT_EQ(packet->data, "[]");
}

TEST(SocketIoPacket, AckIdOverflowIsNotAPacket) {
  EXPECT_FALSE(parse_socket_packet("318446744073709551616[]").has_value());
}

TEST(SocketIoPacket, ConnectErrorAndDisconnectAreRead) {
  const auto error = parse_socket_packet(R"(4{"message":"no"})");
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->type, SocketPacketType::connect_error);
  EXPECT_EQ(error->data, R"({"message":"no"})");
  const auto disconnect = parse_socket_packet("1");
  ASSERT_TRUE(disconnect.has_value());
  EXPECT_EQ(disconnect->type, SocketPacketType::disconnect);
  EXPECT_EQ(disconnect->name_space, "/");
}

TEST(SocketIoPacket, BinaryPacketsAreRefused) {
  EXPECT_FALSE(parse_socket_packet(R"(51-["x",{"_placeholder":true,"num":0}])").has_value());
  EXPECT_FALSE(parse_socket_packet("61-1[]").has_value());
  EXPECT_FALSE(parse_socket_packet("5").has_value());
  EXPECT_FALSE(parse_socket_packet("6").has_value());
}

TEST(SocketIoPacket, GarbageIsNotAPacket) {
  for (std::string_view text : {"", "7", "9[]", "x", "[\"x\"]", "{}", " 2[]"}) {
    EXPECT_FALSE(parse_socket_packet(text).has_value()) << text;
  }
}

TEST(SocketIoPacket, EventNameAndMinifiedFirstArgument) {
  const auto event = parse_socket_event(R"([ "ack" , { "msgId" : "m" ,  "n" : [ 1, 2 ] } , 3 ])");
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->name, "ack");
  EXPECT_EQ(event->first_argument, R"({"msgId":"m","n":[1,2]})");
}

TEST(SocketIoPacket, EventWithOnlyANameHasNoArgument) {
  const auto event = parse_socket_event(R"(["pong"])");
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->name, "pong");
  EXPECT_TRUE(event->first_argument.empty());
}

TEST(SocketIoPacket, EventWithAScalarArgument) {
  const auto event = parse_socket_event(R"(["count",42])");
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->name, "count");
  EXPECT_EQ(event->first_argument, "42");
}

TEST(SocketIoPacket, EventDataThatIsNotAnArrayIsRefused) {
  EXPECT_FALSE(parse_socket_event(R"({"name":"ack"})").has_value());
  EXPECT_FALSE(parse_socket_event(R"("ack")").has_value());
  EXPECT_FALSE(parse_socket_event("").has_value());
  EXPECT_FALSE(parse_socket_event(R"(["ack",)").has_value());
}

TEST(SocketIoPacket, EventWhoseFirstElementIsNotAStringIsRefused) {
  EXPECT_FALSE(parse_socket_event(R"([1,"ack"])").has_value());
  EXPECT_FALSE(parse_socket_event(R"([{"name":"ack"}])").has_value());
  EXPECT_FALSE(parse_socket_event("[null]").has_value());
}

TEST(SocketIoPacket, EventWithoutElementsIsRefused) {
  EXPECT_FALSE(parse_socket_event("[]").has_value());
}

TEST(SocketIoPacket, ConnectReplyNamesTheSocketId) {
  EXPECT_EQ(encode_connect_reply("AbC-_9"), R"(40{"sid":"AbC-_9"})");
}

TEST(SocketIoPacket, ConnectErrorOnTheDefaultNamespaceHasNoPrefix) {
  EXPECT_EQ(encode_connect_error("/", "nope"), R"(44{"message":"nope"})");
}

TEST(SocketIoPacket, ConnectErrorOnANamedNamespaceIsPrefixedByIt) {
  EXPECT_EQ(encode_connect_error("/admin", "Invalid namespace"),
            R"(44/admin,{"message":"Invalid namespace"})");
}

TEST(SocketIoPacket, ConnectErrorMessageIsEscaped) {
  EXPECT_EQ(encode_connect_error("/", "say \"no\"\n"), R"(44{"message":"say \"no\"\n"})");
}

TEST(SocketIoPacket, EventWithAnArgument) {
  EXPECT_EQ(encode_event("CONFIG_CHANGE", R"({"msgId":"m","nonce":1})"),
            R"(42["CONFIG_CHANGE",{"msgId":"m","nonce":1}])");
}

TEST(SocketIoPacket, EventWithoutArgument) {
  EXPECT_EQ(encode_event("LOCK_CHANGE", ""), R"(42["LOCK_CHANGE"])");
}

TEST(SocketIoPacket, AckCarriesItsIdThenTheArguments) {
  EXPECT_EQ(encode_ack(1, R"([{"code":0}])"), R"(431[{"code":0}])");
  EXPECT_EQ(encode_ack(907, "[]"), "43907[]");
}

TEST(SocketIoPacket, EncodedEventParsesBack) {
  const std::string frame = encode_event("ack", R"({"msgId":"m-1"})");
  ASSERT_EQ(frame.front(), '4');
  const auto packet = parse_socket_packet(std::string_view(frame).substr(1));
  ASSERT_TRUE(packet.has_value());
  EXPECT_EQ(packet->type, SocketPacketType::event);
  const auto event = parse_socket_event(packet->data);
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->name, "ack");
  EXPECT_EQ(event->first_argument, R"({"msgId":"m-1"})");
}

}  // namespace
}  // namespace primesync::push
