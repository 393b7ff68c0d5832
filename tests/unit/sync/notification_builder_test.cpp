// PROTOCOL.md §5: who is notified, and a large CONFIG_CHANGE split into messages
// within the configured size, none dropped, order kept. Uses the real encoder.
#include "sync/notifications.hpp"

#include <gtest/gtest.h>

#include <set>

#include "protocol/notification_encoder.hpp"
#include "support/builders.hpp"
#include "support/clock.hpp"
#include "support/decoded_message.hpp"
#include "support/service_environment.hpp"

namespace primesync::sync {
namespace {

using testing::decode_message;
using testing::keys_of;
using testing::make_item;
using testing::UserStateBuilder;
using Keys = std::vector<std::string>;

constexpr Millis now = 5'000;

class NotificationBuilderTest : public ::testing::Test {
 protected:
  // Winners with data of varied sizes: 40..~1200 bytes.
  static std::vector<ItemPtr> varied_items(std::size_t count) {
    std::vector<ItemPtr> items;
    for (std::size_t i = 0; i < count; ++i) {
      const std::string key = "key-" + std::to_string(1000 + i);
      const std::string data(40 + (i * 97) % 1200, 'x');
      items.push_back(testing::share(make_item(key, static_cast<Millis>(i), "Wallet", data)));
    }
    return items;
  }

  // Runs config_change with `max_bytes` and returns the queued messages.
  std::vector<std::string> config_change(const std::vector<ItemPtr>& winners, std::size_t max_bytes,
                                         std::string_view caller = "device-A") {
    NotificationBuilder builder(testing::notification_codec(ids_), max_bytes);
    WriteSet writes;
    builder.config_change(state_, state_.user, caller, winners, now, writes);
    std::vector<std::string> messages;
    for (const OutboxEntry& entry : writes.outbox) {
      EXPECT_EQ(entry.user_id, "u1");
      EXPECT_EQ(entry.created_at, now);
      messages.push_back(entry.message);
    }
    return messages;
  }

  testing::SequentialHex ids_;
  UserState state_ = UserStateBuilder("u1")
                         .pwd_hash("pwd")
                         .nonce(7)
                         .devices({"device-A", "device-B", "device-C"})
                         .build();
};

TEST_F(NotificationBuilderTest, SmallChangeIsOneMessage) {
  const auto winners = varied_items(3);
  const auto messages = config_change(winners, 1U << 20U);
  ASSERT_EQ(messages.size(), 1U);
  const auto message = decode_message(messages[0]);
  EXPECT_EQ(message.type, "CONFIG_CHANGE");
  EXPECT_EQ(message.devices, (Keys{"device-B", "device-C"}));
  EXPECT_EQ(message.nonce, 7);
  EXPECT_EQ(message.pwd_hash, "pwd");
  EXPECT_EQ(message.server_data_keys, keys_of(winners));
}

// Every message within the limit, every winner in exactly one message, in order,
// for many limits (so some chunk lands right at the edge of each).
TEST_F(NotificationBuilderTest, LargeChangeIsSplitWithinTheLimitNoneDroppedOrderKept) {
  const auto winners = varied_items(60);
  for (std::size_t max_bytes = 1400; max_bytes <= 8000; max_bytes += 131) {
    SCOPED_TRACE("max_message_bytes " + std::to_string(max_bytes));
    const auto messages = config_change(winners, max_bytes);
    ASSERT_GT(messages.size(), 1U);
    Keys delivered;
    std::set<std::string> message_ids;
    for (const std::string& text : messages) {
      const auto message = decode_message(text);
      ASSERT_TRUE(message.server_data_keys.has_value());
      // Only an item too large for any message may pass the limit, and it goes alone.
      if (message.server_data_keys->size() > 1) {
        EXPECT_LE(text.size(), max_bytes);
      }
      EXPECT_EQ(message.type, "CONFIG_CHANGE");
      EXPECT_EQ(message.nonce, 7);
      EXPECT_EQ(message.devices, (Keys{"device-B", "device-C"}));
      EXPECT_FALSE(message.server_data_keys->empty());
      delivered.insert(delivered.end(), message.server_data_keys->begin(),
                       message.server_data_keys->end());
      message_ids.insert(message.msg_id);
    }
    EXPECT_EQ(delivered, keys_of(winners));
    EXPECT_EQ(message_ids.size(), messages.size()) << "every message has its own msgId";
  }
}

// The tightest case: the limit leaves room for exactly one item per message.
TEST_F(NotificationBuilderTest, LimitForOneItemGivesOneItemPerMessage) {
  std::vector<ItemPtr> winners;
  for (const char* key : {"k1", "k2", "k3"}) {
    winners.push_back(testing::share(make_item(key, 1, "Wallet", std::string(200, 'y'))));
  }
  Notification header;
  header.msg_id = std::string(32, '0');  // as long as the ids the service makes
  header.type = NotificationType::config_change;
  header.user_id = "u1";
  header.devices = {"device-B", "device-C"};
  header.nonce = 7;
  header.pwd_hash = "pwd";
  const std::size_t one_item_message =
      protocol::encoded_notification_overhead(header) + protocol::encoded_item_size(*winners[0]);
  // Two items would need one_item_message + 1 (comma) + item bytes: one byte short of that.
  const std::size_t max_bytes = one_item_message + protocol::encoded_item_size(*winners[0]);

  const auto messages = config_change(winners, max_bytes);
  ASSERT_EQ(messages.size(), 3U);
  for (const std::string& text : messages) {
    EXPECT_LE(text.size(), max_bytes);
    EXPECT_EQ(decode_message(text).server_data_keys->size(), 1U);
  }
}

TEST_F(NotificationBuilderTest, ItemLargerThanTheLimitGoesAlone) {
  const std::vector<ItemPtr> winners = {
      testing::share(make_item("a", 1, "Wallet", "small")),
      testing::share(make_item("b", 1, "Wallet", std::string(5000, 'z'))),
      testing::share(make_item("c", 1, "Wallet", "small"))};
  const auto messages = config_change(winners, 1024);
  ASSERT_EQ(messages.size(), 3U);
  EXPECT_EQ(decode_message(messages[0]).server_data_keys, Keys{"a"});
  EXPECT_EQ(decode_message(messages[1]).server_data_keys, Keys{"b"});
  EXPECT_EQ(decode_message(messages[2]).server_data_keys, Keys{"c"});
  EXPECT_LE(messages[0].size(), 1024U);
  EXPECT_LE(messages[2].size(), 1024U);
}

TEST_F(NotificationBuilderTest, NoMessageWithoutOtherDevices) {
  state_.devices = {Device{"device-A", 0, 0}};
  EXPECT_TRUE(config_change(varied_items(2), 1U << 20U).empty());
  state_.devices.clear();
  EXPECT_TRUE(config_change(varied_items(2), 1U << 20U).empty());
}

TEST_F(NotificationBuilderTest, NoMessageForANonPrimeUser) {
  state_.user.is_prime = false;
  EXPECT_TRUE(config_change(varied_items(2), 1U << 20U).empty());
}

TEST_F(NotificationBuilderTest, NoMessageWithoutWinners) {
  EXPECT_TRUE(config_change({}, 1U << 20U).empty());
}

TEST_F(NotificationBuilderTest, FlushAndLockChangeMessages) {
  NotificationBuilder builder(testing::notification_codec(ids_), 1U << 20U);
  WriteSet writes;
  builder.config_flush(state_, state_.user, "device-B", testing::make_lock(1), now, writes);
  builder.config_flush(state_, state_.user, "device-B", std::nullopt, now, writes);
  builder.lock_change(state_, state_.user, "device-B", testing::make_lock(2), now, writes);
  ASSERT_EQ(writes.outbox.size(), 3U);

  const auto flush = decode_message(writes.outbox[0].message);
  EXPECT_EQ(flush.type, "CONFIG_FLUSH");
  EXPECT_EQ(flush.devices, (Keys{"device-A", "device-C"}));
  EXPECT_EQ(flush.nonce, 7);
  EXPECT_EQ(flush.lock_key, "lock");
  EXPECT_EQ(flush.server_data_keys, Keys{});

  const auto flush_without_lock = decode_message(writes.outbox[1].message);
  EXPECT_FALSE(flush_without_lock.lock_key.has_value());
  EXPECT_EQ(flush_without_lock.server_data_keys, Keys{});

  const auto lock = decode_message(writes.outbox[2].message);
  EXPECT_EQ(lock.type, "LOCK_CHANGE");
  EXPECT_EQ(lock.lock_key, "lock");
  EXPECT_EQ(lock.pwd_hash, "pwd");
  EXPECT_FALSE(lock.server_data_keys.has_value());
}

}  // namespace
}  // namespace primesync::sync
