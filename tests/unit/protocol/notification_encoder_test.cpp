#include "protocol/notification_encoder.hpp"

#include "protocol/response_encoder.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <memory>
#include <string>

namespace primesync::protocol {
namespace {

ItemPtr make_item(std::string key, std::string data, Millis timestamp, bool deleted = false) {
  return std::make_shared<const Item>(
      Item{std::move(key), "Wallet", std::move(data), timestamp, deleted});
}

void expect_valid_json(const std::string& json) {
  simdjson::dom::parser parser;
  simdjson::dom::element document;
  EXPECT_EQ(parser.parse(json).get(document), simdjson::SUCCESS) << json;
}

Notification config_change() {
  Notification notification;
  notification.msg_id = "m-1";
  notification.type = NotificationType::config_change;
  notification.user_id = "u1";
  notification.devices = {"d1", "d2"};
  notification.nonce = 8;
  notification.pwd_hash = "p";
  notification.server_data =
      std::vector<ItemPtr>{make_item("k1", "aa", 1), make_item("k\"2", "b\nb", 2, true)};
  return notification;
}

TEST(NotificationEncoder, ConfigChange) {
  const std::string json = encode_notification(config_change());
  EXPECT_EQ(json,
            R"({"msgId":"m-1","type":"CONFIG_CHANGE","userId":"u1","devices":["d1","d2"],)"
            R"("data":{"nonce":8,"pwdHash":"p","serverData":[{"key":"k1","dataType":"Wallet",)"
            R"("data":"aa","dataTimestamp":1,"isDeleted":false},{"key":"k\"2",)"
            R"("dataType":"Wallet","data":"b\nb","dataTimestamp":2,"isDeleted":true}]}})");
  expect_valid_json(json);
}

TEST(NotificationEncoder, ConfigFlush) {
  Notification notification;
  notification.msg_id = "m-2";
  notification.type = NotificationType::config_flush;
  notification.user_id = "u1";
  notification.devices = {"d1"};
  notification.nonce = 2;
  notification.pwd_hash = "p";
  notification.lock = Item{"lk", "Lock", "c", 3, false};
  notification.server_data = std::vector<ItemPtr>{};
  const std::string json = encode_notification(notification);
  EXPECT_EQ(json,
            R"({"msgId":"m-2","type":"CONFIG_FLUSH","userId":"u1","devices":["d1"],)"
            R"("data":{"nonce":2,"pwdHash":"p","lock":{"key":"lk","dataType":"Lock","data":"c",)"
            R"("dataTimestamp":3,"isDeleted":false},"serverData":[]}})");
  expect_valid_json(json);
}

TEST(NotificationEncoder, LockChange) {
  Notification notification;
  notification.msg_id = "m-3";
  notification.type = NotificationType::lock_change;
  notification.user_id = "u1";
  notification.pwd_hash = "new";
  notification.lock = Item{"lk", "Lock", "c", 3, false};
  const std::string json = encode_notification(notification);
  EXPECT_EQ(json, R"({"msgId":"m-3","type":"LOCK_CHANGE","userId":"u1","devices":[],)"
                  R"("data":{"pwdHash":"new","lock":{"key":"lk","dataType":"Lock","data":"c",)"
                  R"("dataTimestamp":3,"isDeleted":false}}})");
  expect_valid_json(json);
}

TEST(NotificationEncoder, TypeNames) {
  EXPECT_EQ(notification_type_name(NotificationType::config_change), "CONFIG_CHANGE");
  EXPECT_EQ(notification_type_name(NotificationType::config_flush), "CONFIG_FLUSH");
  EXPECT_EQ(notification_type_name(NotificationType::lock_change), "LOCK_CHANGE");
}

TEST(NotificationEncoder, ItemSizeIsExact) {
  for (const ItemPtr& item : {make_item("k", "", 0), make_item("k\x01", "\"\\\t", 1700000000000),
                              make_item(std::string(128, 'a'), std::string(1700, 'f'), 42, true)}) {
    std::string out;
    JsonWriter writer{StringSink(out)};
    write_item(writer, *item);
    EXPECT_EQ(encoded_item_size(*item), out.size()) << out;
  }
}

TEST(NotificationEncoder, OverheadPlusItemsPlusCommasIsTheMessageSize) {
  Notification notification = config_change();
  for (std::size_t count = 0; count <= 5; ++count) {
    std::vector<ItemPtr> items;
    for (std::size_t i = 0; i < count; ++i) {
      items.push_back(make_item("key-" + std::to_string(i), std::string(i * 37, 'e') + "\x02",
                                static_cast<Millis>(i * 1000)));
    }
    notification.server_data = items;
    std::size_t expected = encoded_notification_overhead(notification);
    for (const ItemPtr& item : items) expected += encoded_item_size(*item);
    if (count > 1) expected += count - 1;
    const std::string json = encode_notification(notification);
    EXPECT_EQ(json.size(), expected) << json;
    expect_valid_json(json);
  }
}

TEST(NotificationEncoder, OverheadAlwaysCountsAnEmptyServerData) {
  Notification notification = config_change();
  notification.server_data.reset();
  const std::size_t without = encode_notification(notification).size();
  EXPECT_EQ(encoded_notification_overhead(notification),
            without + std::string_view(R"(,"serverData":[])").size());
}

}  // namespace
}  // namespace primesync::protocol
