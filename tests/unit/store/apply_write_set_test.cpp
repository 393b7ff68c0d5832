#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "primesync/model.hpp"

namespace primesync {
namespace {

ItemPtr make(std::string key, Millis timestamp) {
  return std::make_shared<const Item>(Item{std::move(key), "Wallet", "d", timestamp});
}

UserState stored_state() {
  UserState state;
  state.exists = true;
  state.user.user_id = "u";
  state.user.nonce = 3;
  state.user.revision = 7;
  state.items.assign({make("a", 1), make("b", 1), make("c", 1)});
  state.lock = Lock{*make("lock", 1), "hash"};
  state.devices = {Device{"d1", 1, 1}, Device{"d2", 1, 1}};
  return state;
}

TEST(AppliedWriteSet, BuildsTheNextStateAndLeavesThePreviousOneAlone) {
  const UserState before = stored_state();
  WriteSet writes;
  writes.user_id = "u";
  writes.expected_revision = 7;
  UserRecord user = before.user;
  user.nonce = 4;
  writes.user = user;
  writes.delete_items = {"a"};
  writes.put_items = {make("b", 2), make("d", 2)};
  writes.delete_lock = true;
  writes.delete_devices = {"d1"};
  writes.put_devices = {Device{"d2", 1, 9}, Device{"d3", 9, 9}};

  const UserState after = applied_write_set(before, writes);
  EXPECT_TRUE(after.exists);
  EXPECT_EQ(after.user.nonce, 4);
  EXPECT_EQ(after.user.revision, 8U);
  ASSERT_EQ(after.items.size(), 3U);
  EXPECT_EQ(after.items.key(0), "b");
  EXPECT_EQ(after.items.timestamp(0), 2);
  EXPECT_EQ(after.items.key(1), "c");
  EXPECT_EQ(after.items.key(2), "d");
  EXPECT_FALSE(after.lock.has_value());
  ASSERT_EQ(after.devices.size(), 2U);
  EXPECT_EQ(after.devices[0], (Device{"d2", 1, 9}));
  EXPECT_EQ(after.devices[1], (Device{"d3", 9, 9}));

  const UserState untouched = stored_state();
  EXPECT_EQ(before.user, untouched.user);
  EXPECT_EQ(before.items.items().size(), 3U);
  EXPECT_EQ(before.items.key(0), "a");
  EXPECT_EQ(before.lock, untouched.lock);
  EXPECT_EQ(before.devices, untouched.devices);

  UserState in_place = stored_state();
  apply_write_set(in_place, writes);
  EXPECT_EQ(in_place.user, after.user);
  ASSERT_EQ(in_place.items.size(), after.items.size());
  for (std::size_t i = 0; i < after.items.size(); ++i) {
    EXPECT_EQ(in_place.items.item(i), after.items.item(i)) << "item " << i;
  }
  EXPECT_EQ(in_place.devices, after.devices);
}

TEST(AppliedWriteSet, KeepsTheLockUnlessReplacedOrDeletedAndDeletingAUserForgetsAll) {
  const UserState before = stored_state();
  WriteSet touch;
  touch.user_id = "u";
  touch.expected_revision = 7;
  touch.put_devices = {Device{"d1", 1, 2}};
  EXPECT_EQ(applied_write_set(before, touch).lock, before.lock);
  EXPECT_EQ(applied_write_set(before, touch).user.nonce, 3) << "no user record: the old one";

  WriteSet relock = touch;
  relock.delete_lock = true;
  relock.put_lock = Lock{*make("lock", 5), "new"};
  EXPECT_EQ(applied_write_set(before, relock).lock, relock.put_lock) << "the put comes last";

  WriteSet erase;
  erase.user_id = "u";
  erase.delete_user = true;
  const UserState gone = applied_write_set(before, erase);
  EXPECT_FALSE(gone.exists);
  EXPECT_EQ(gone.user.user_id, "u");
  EXPECT_TRUE(gone.items.empty());
  EXPECT_TRUE(gone.devices.empty());
  EXPECT_FALSE(gone.lock.has_value());

  EXPECT_EQ(applied_write_set(before, WriteSet{}).user, before.user)
      << "an empty set changes nothing";
}

}  // namespace
}  // namespace primesync
