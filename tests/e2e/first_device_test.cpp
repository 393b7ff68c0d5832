// Flow 1: the first device enables sync (PROTOCOL.md §4.1 check, §4.4 flush,
// §4.3 download, §4.5 get lock, §4.7 user info).
#include <chrono>

#include "client_flows.hpp"
#include "server_process.hpp"

namespace primesync::e2e {
namespace {

using Strings = std::vector<std::string>;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class FirstDeviceTest : public ServerTest {};

TEST_F(FirstDeviceTest, CheckOnANewUserIsEmpty) {
  ItemFactory factory(101);
  ApiClient device(server().port(), mint_token("first-empty"), factory.uuid());

  ApiResponse check = device.check({}, "");
  ASSERT_TRUE(is_ok(check));
  EXPECT_EQ(field_names(check.data),
            (Strings{"deleted", "diff", "nonce", "obsoleted", "pwdHash", "serverTime", "updated"}));
  EXPECT_EQ(get_keys(check.data, "deleted"), Strings{});
  EXPECT_EQ(get_keys(check.data, "obsoleted"), Strings{});
  EXPECT_EQ(get_items(check.data, "diff"), std::vector<Item>{});
  EXPECT_EQ(get_items(check.data, "updated"), std::vector<Item>{});
  EXPECT_EQ(get_int(check.data, "nonce"), 0);
  EXPECT_EQ(get_string(check.data, "pwdHash"), "");
  // serverTime is the server's clock in ms; both run on this host.
  EXPECT_NEAR(static_cast<double>(get_int(check.data, "serverTime")), static_cast<double>(now_ms()),
              10'000.0);
}

TEST_F(FirstDeviceTest, FlushThenDownloadLockAndUserInfo) {
  ItemFactory factory(102);
  const std::string user = "first-device-user";
  ApiClient device(server().port(), mint_token(user), factory.uuid());
  const std::string pwd_hash = factory.uuid();

  std::vector<Item> items = factory.items("Wallet", "wallet", 3);
  for (auto type : {"IndexedAccount", "Account", "BrowserBookmark", "AddressBook", "CustomToken"}) {
    auto more = factory.items(type, std::string(type) + "-raw", 4, kBaseTimestamp + 500);
    items.insert(items.end(), more.begin(), more.end());
  }
  const Item lock = factory.lock(kBaseTimestamp);

  ApiResponse flush = device.flush(items, pwd_hash, lock);
  ASSERT_TRUE(is_ok(flush));
  EXPECT_EQ(field_names(flush.data), (Strings{"created", "nonce", "pwdHash", "updated"}));
  EXPECT_EQ(get_int(flush.data, "created"), static_cast<std::int64_t>(items.size()));
  EXPECT_EQ(get_int(flush.data, "updated"), 0);
  EXPECT_EQ(get_int(flush.data, "nonce"), 1);
  EXPECT_EQ(get_string(flush.data, "pwdHash"), pwd_hash);

  ApiResponse download = device.download({pwd_hash});
  ASSERT_TRUE(is_ok(download));
  EXPECT_EQ(field_names(download.data), (Strings{"hasMore", "nonce", "pwdHash", "serverData"}));
  // Ordered by key, exactly the documented fields, isDeleted present and false.
  EXPECT_EQ(get_items(download.data, "serverData"), as_stored_sorted(items));
  EXPECT_FALSE(get_bool(download.data, "hasMore"));
  EXPECT_EQ(get_int(download.data, "nonce"), 1);
  EXPECT_EQ(get_string(download.data, "pwdHash"), pwd_hash);

  ApiResponse get_lock = device.get_lock();
  ASSERT_TRUE(is_ok(get_lock));
  EXPECT_EQ(field_names(get_lock.data), Strings{"lock"});
  Item expected_lock = as_stored(lock);
  expected_lock.pwd_hash = pwd_hash;
  expected_lock.user_id = user;
  EXPECT_EQ(read_item(get_field(get_lock.data, "lock"), /*is_lock=*/true), expected_lock);

  ApiResponse info = device.user_info();
  ASSERT_TRUE(is_ok(info));
  EXPECT_EQ(field_names(info.data), (Strings{"isPrime", "nonce", "pwdHash", "salt", "userId"}));
  EXPECT_EQ(get_string(info.data, "userId"), user);
  EXPECT_EQ(get_string(info.data, "pwdHash"), pwd_hash);
  EXPECT_TRUE(get_bool(info.data, "isPrime"));
  EXPECT_EQ(get_int(info.data, "nonce"), 1);
  const std::string salt = get_string(info.data, "salt");
  EXPECT_FALSE(salt.empty());

  // The salt is chosen once per user: stable across calls and connections.
  ApiClient other_connection(server().port(), mint_token(user));
  ApiResponse again = other_connection.user_info();
  ASSERT_TRUE(is_ok(again));
  EXPECT_EQ(get_string(again.data, "salt"), salt);
  // ...and different for another user.
  ApiClient stranger(server().port(), mint_token("first-device-stranger"));
  ApiResponse stranger_info = stranger.user_info();
  ASSERT_TRUE(is_ok(stranger_info));
  EXPECT_NE(get_string(stranger_info.data, "salt"), salt);
}

TEST_F(FirstDeviceTest, FlushWithItemsNeedsPwdHashAndLock) {
  ItemFactory factory(103);
  ApiClient device(server().port(), mint_token("first-device-incomplete"));
  const std::vector<Item> items = factory.items("Wallet", "w", 2);

  // §4.4 step 1: items without a lock, or without a pwdHash, are refused with 90006.
  EXPECT_TRUE(is_business_error(device.flush(items, factory.uuid(), std::nullopt), 90006));
  EXPECT_TRUE(
      is_business_error(device.flush(items, std::nullopt, factory.lock(kBaseTimestamp)), 90006));
  EXPECT_TRUE(is_business_error(device.flush(items, "", factory.lock(kBaseTimestamp)), 90006));
  EXPECT_EQ(device.nonce(), 0);
  EXPECT_EQ(device.download_all("", /*include_deleted=*/true), std::vector<Item>{});
}

}  // namespace
}  // namespace primesync::e2e
