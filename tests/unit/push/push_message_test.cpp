// Reading a notification (as the sync service encodes it) into the socket.io event
// the hub sends, and the errors of malformed notifications.
#include "push/push_message.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/notification_encoder.hpp"

namespace primesync::push {
namespace {

ItemPtr make_item(std::string key, std::string data, Millis timestamp, bool deleted = false) {
  return std::make_shared<const Item>(
      Item{std::move(key), "Wallet", std::move(data), timestamp, deleted});
}

Notification config_change_with_everything() {
  Notification notification;
  notification.msg_id = "msg-17";
  notification.type = NotificationType::config_change;
  notification.user_id = "user-1";
  notification.devices = {"device-a", "device-b"};
  notification.nonce = 42;
  notification.pwd_hash = "hash\"1";
  notification.lock = Item{"lock-key", "Lock", "locked", 7, false};
  notification.server_data =
      std::vector<ItemPtr>{make_item("k1", "aa", 1), make_item("k\"2", "b\nb", 2, true)};
  return notification;
}

// The pieces of a `42[<name>,<argument>]` frame.
struct EventFrame {
  std::string name;
  std::string argument;  // minified JSON
};

EventFrame read_event_frame(std::string_view packet) {
  EXPECT_TRUE(packet.starts_with("42[")) << packet;
  packet.remove_prefix(2);
  simdjson::dom::parser parser;
  simdjson::dom::array array;
  EXPECT_EQ(parser.parse(packet.data(), packet.size()).get(array), simdjson::SUCCESS) << packet;
  EXPECT_EQ(array.size(), 2U) << packet;
  EventFrame frame;
  std::string_view name;
  EXPECT_EQ(array.at(0).get_string().get(name), simdjson::SUCCESS);
  frame.name = std::string(name);
  frame.argument = simdjson::minify(array.at(1));
  return frame;
}

std::string member(std::string_view object_json, std::string_view name) {
  simdjson::dom::parser parser;
  simdjson::dom::object object;
  EXPECT_EQ(parser.parse(object_json.data(), object_json.size()).get(object), simdjson::SUCCESS);
  simdjson::dom::element value;
  if (object[name].get(value) != simdjson::SUCCESS) return "<absent>";
  return simdjson::minify(value);
}

std::vector<std::string> keys(std::string_view object_json) {
  simdjson::dom::parser parser;
  simdjson::dom::object object;
  EXPECT_EQ(parser.parse(object_json.data(), object_json.size()).get(object), simdjson::SUCCESS);
  std::vector<std::string> names;
  for (const auto field : object) names.emplace_back(field.key);
  return names;
}

TEST(PushMessage, ReadsTheIdsAndDevicesOfANotification) {
  const auto read =
      read_push_message(protocol::encode_notification(config_change_with_everything()));
  ASSERT_NE(read.message, nullptr) << read.error;
  EXPECT_TRUE(read.error.empty());
  EXPECT_EQ(read.message->message_id, "msg-17");
  EXPECT_EQ(read.message->user_id, "user-1");
  EXPECT_EQ(read.message->devices, (std::vector<std::string>{"device-a", "device-b"}));
}

TEST(PushMessage, PacketIsTheTypedEventOfTheDataWithTheMessageIdFirst) {
  const std::string notification = protocol::encode_notification(config_change_with_everything());
  const auto read = read_push_message(notification);
  ASSERT_NE(read.message, nullptr) << read.error;

  const EventFrame frame = read_event_frame(read.message->packet);
  EXPECT_EQ(frame.name, "CONFIG_CHANGE");
  EXPECT_EQ(keys(frame.argument),
            (std::vector<std::string>{"msgId", "nonce", "pwdHash", "lock", "serverData"}));
  EXPECT_EQ(member(frame.argument, "msgId"), R"("msg-17")");
  // Every field of `data`, unchanged.
  const std::string data = member(notification, "data");
  for (std::string_view field : {"nonce", "pwdHash", "lock", "serverData"}) {
    EXPECT_EQ(member(frame.argument, field), member(data, field)) << field;
  }
  EXPECT_EQ(member(frame.argument, "nonce"), "42");
  EXPECT_EQ(member(frame.argument, "pwdHash"), R"("hash\"1")");
}

TEST(PushMessage, PacketOfAMinimalNotificationIsExact) {
  Notification notification;
  notification.msg_id = "m";
  notification.type = NotificationType::lock_change;
  notification.user_id = "u";
  notification.devices = {"d"};
  notification.pwd_hash = "p";
  const auto read = read_push_message(protocol::encode_notification(notification));
  ASSERT_NE(read.message, nullptr) << read.error;
  EXPECT_EQ(read.message->packet, R"(42["LOCK_CHANGE",{"msgId":"m","pwdHash":"p"}])");
}

TEST(PushMessage, MessageIdInsideDataIsNotRepeated) {
  const auto read =
      read_push_message(R"({"msgId":"outer","type":"CONFIG_FLUSH","userId":"u","devices":[],)"
                        R"("data":{"msgId":"inner","nonce":3}})");
  ASSERT_NE(read.message, nullptr) << read.error;
  EXPECT_EQ(read.message->packet, R"(42["CONFIG_FLUSH",{"msgId":"outer","nonce":3}])");
  EXPECT_TRUE(read.message->devices.empty());
}

TEST(PushMessage, WhitespaceInTheNotificationIsMinifiedAway) {
  const auto read = read_push_message(
      R"({ "msgId" : "m", "type" : "CONFIG_CHANGE", "userId" : "u", "devices" : [ "d" ],
           "data" : { "serverData" : [ { "key" : "k" } ] } })");
  ASSERT_NE(read.message, nullptr) << read.error;
  EXPECT_EQ(read.message->packet,
            R"(42["CONFIG_CHANGE",{"msgId":"m","serverData":[{"key":"k"}]}])");
}

struct MalformedCase {
  std::string_view json;
  std::string_view field;
};

TEST(PushMessage, ErrorsNameTheMalformedField) {
  const MalformedCase cases[] = {
      {R"({"type":"T","userId":"u","devices":[],"data":{}})", "msgId"},
      {R"({"msgId":1,"type":"T","userId":"u","devices":[],"data":{}})", "msgId"},
      {R"({"msgId":"m","type":"T","devices":[],"data":{}})", "userId"},
      {R"({"msgId":"m","type":"T","userId":null,"devices":[],"data":{}})", "userId"},
      {R"({"msgId":"m","userId":"u","devices":[],"data":{}})", "type"},
      {R"({"msgId":"m","type":["T"],"userId":"u","devices":[],"data":{}})", "type"},
      {R"({"msgId":"m","type":"T","userId":"u","data":{}})", "devices"},
      {R"({"msgId":"m","type":"T","userId":"u","devices":"d","data":{}})", "devices"},
      {R"({"msgId":"m","type":"T","userId":"u","devices":["d",3],"data":{}})", "devices"},
      {R"({"msgId":"m","type":"T","userId":"u","devices":[]})", "data"},
      {R"({"msgId":"m","type":"T","userId":"u","devices":[],"data":[]})", "data"},
  };
  for (const auto& [json, field] : cases) {
    const auto read = read_push_message(json);
    EXPECT_EQ(read.message, nullptr) << json;
    EXPECT_TRUE(read.error.starts_with(field)) << json << " → " << read.error;
  }
}

TEST(PushMessage, TextThatIsNotAJsonObjectIsRefused) {
  for (std::string_view text : {"", "not json", "[]", R"("msgId")", R"({"msgId":"m")"}) {
    const auto read = read_push_message(text);
    EXPECT_EQ(read.message, nullptr) << text;
    EXPECT_FALSE(read.error.empty()) << text;
  }
}

}  // namespace
}  // namespace primesync::push
