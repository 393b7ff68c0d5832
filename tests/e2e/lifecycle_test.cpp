// Flows 3–5 and the gates: tombstones and revival (§3, §7.7), password change
// (§4.6 and the password gate), reset flush (§4.4, §7.3), nonce gate (§4).
#include "client_flows.hpp"
#include "server_process.hpp"

namespace primesync::e2e {
namespace {

using Strings = std::vector<std::string>;
constexpr std::int64_t kT = kBaseTimestamp;

class LifecycleTest : public ServerTest {
 protected:
  // Enables sync for `user` with `items`; returns the device and its pwdHash.
  std::pair<ApiClient, std::string> enabled_device(const std::string& user,
                                                   const std::vector<Item>& items) {
    ApiClient device(server().port(), mint_token(user), factory_.uuid());
    const std::string pwd_hash = factory_.uuid();
    ApiResponse flush = device.flush(items, pwd_hash, factory_.lock(kT));
    EXPECT_TRUE(is_ok(flush));
    return {std::move(device), pwd_hash};
  }

  ItemFactory factory_{301};
};

TEST_F(LifecycleTest, TombstonesAreHiddenUnlessAskedAndAnOverwriteRevives) {
  const std::vector<Item> items = factory_.items("BrowserBookmark", "bm", 4);
  auto [device, pwd_hash] = enabled_device("lifecycle-tombstones", items);

  Item tombstone = items[1];
  tombstone.data_timestamp = kT + 60'000;
  tombstone.data = factory_.random_data();
  tombstone.is_deleted = true;
  ApiResponse deleted = device.upload({tombstone}, pwd_hash);
  ASSERT_TRUE(is_ok(deleted));
  EXPECT_EQ(get_int(deleted.data, "updated"), 1);

  std::vector<Item> live = {items[0], items[2], items[3]};
  EXPECT_EQ(device.download_all(pwd_hash), as_stored_sorted(live));
  EXPECT_EQ(device.download_all(pwd_hash, /*include_deleted=*/true),
            as_stored_sorted({items[0], tombstone, items[2], items[3]}));

  // An overwrite without isDeleted means isDeleted: false, so the item comes back.
  Item revived = tombstone;
  revived.data_timestamp = kT + 120'000;
  revived.is_deleted.reset();
  ApiResponse revive = device.upload({revived}, pwd_hash);
  ASSERT_TRUE(is_ok(revive));
  EXPECT_EQ(get_int(revive.data, "updated"), 1);
  live.push_back(revived);
  EXPECT_EQ(device.download_all(pwd_hash), as_stored_sorted(live));
}

TEST_F(LifecycleTest, PasswordChangeLocksOutTheOldPwdHash) {
  const std::string user = "lifecycle-password";
  const std::vector<Item> items = factory_.items("Wallet", "w", 3);
  auto [device, old_pwd] = enabled_device(user, items);

  ApiResponse lock_before = device.get_lock();
  ASSERT_TRUE(is_ok(lock_before));
  EXPECT_EQ(read_item(get_field(lock_before.data, "lock"), true).pwd_hash, old_pwd);

  const std::string new_pwd = factory_.uuid();
  const Item new_lock = factory_.lock(kT + 1000);
  ApiResponse changed = device.change_lock(new_lock, new_pwd);
  ASSERT_TRUE(is_ok(changed));
  EXPECT_EQ(field_names(changed.data), Strings{"updated"});
  EXPECT_EQ(get_int(changed.data, "updated"), 1);

  ApiResponse lock_after = device.get_lock();
  ASSERT_TRUE(is_ok(lock_after));
  Item expected_lock = as_stored(new_lock);
  expected_lock.pwd_hash = new_pwd;
  expected_lock.user_id = user;
  EXPECT_EQ(read_item(get_field(lock_after.data, "lock"), true), expected_lock);
  const std::int64_t nonce = device.nonce();

  // The old pwdHash no longer passes any gate, and nothing changes.
  const Item newer = factory_.item("Wallet", "after-change", kT + 5000);
  EXPECT_TRUE(is_business_error(device.check({}, old_pwd), 90006));
  EXPECT_TRUE(is_business_error(device.upload({newer}, old_pwd), 90006));
  EXPECT_TRUE(is_business_error(device.download({old_pwd}), 90006));
  EXPECT_EQ(device.nonce(), nonce);

  EXPECT_TRUE(is_ok(device.check({}, new_pwd)));
  ApiResponse uploaded = device.upload({newer}, new_pwd);
  ASSERT_TRUE(is_ok(uploaded));
  EXPECT_EQ(get_int(uploaded.data, "nonce"), nonce + 1);
  std::vector<Item> expected = items;
  expected.push_back(newer);
  EXPECT_EQ(device.download_all(new_pwd), as_stored_sorted(expected));
}

TEST_F(LifecycleTest, ResetFlushPersistsTheNonceAndRemovesLockAndItems) {
  const std::vector<Item> items = factory_.items("Account", "acc", 5);
  auto [device, pwd_hash] = enabled_device("lifecycle-reset", items);
  ASSERT_EQ(device.nonce(), 1);

  // What the real client sends on a password reset.
  ApiResponse reset = device.post(kFlushPath, R"({"localData":[],"pwdHash":""})");
  ASSERT_TRUE(is_ok(reset));
  EXPECT_EQ(get_int(reset.data, "created"), 0);
  EXPECT_EQ(get_int(reset.data, "updated"), 0);
  EXPECT_EQ(get_int(reset.data, "nonce"), 2);
  EXPECT_EQ(get_string(reset.data, "pwdHash"), "");

  auto expect_reset_state = [&](ApiClient& client) {
    ApiResponse info = client.user_info();
    ASSERT_TRUE(is_ok(info));
    EXPECT_EQ(get_int(info.data, "nonce"), 2);
    EXPECT_EQ(get_string(info.data, "pwdHash"), "");
    ApiResponse lock = client.get_lock();
    ASSERT_TRUE(is_ok(lock));
    EXPECT_EQ(field_names(lock.data), Strings{"lock"});
    EXPECT_TRUE(get_field(lock.data, "lock").is_null());
    EXPECT_EQ(client.download_all("", /*include_deleted=*/true), std::vector<Item>{});
  };
  expect_reset_state(device);

  // "Persisted": it survives a restart too.
  server().restart();
  ApiClient after_restart(server().port(), mint_token("lifecycle-reset"));
  expect_reset_state(after_restart);
}

TEST_F(LifecycleTest, UploadNeedsAStoredPwdHash) {
  // Strict gate: a user that never flushed has pwdHash "" and cannot upload.
  ApiClient device(server().port(), mint_token("lifecycle-strict"));
  const Item item = factory_.item("Wallet", "w", kT);
  EXPECT_TRUE(is_business_error(device.upload({item}, ""), 90006));
  EXPECT_TRUE(is_business_error(device.upload({item}, factory_.uuid()), 90006));
  EXPECT_EQ(device.nonce(), 0);
  EXPECT_EQ(device.download_all("", true), std::vector<Item>{});
}

TEST_F(LifecycleTest, NonceGateRefusesAFutureNonceAndWritesNothing) {
  const std::vector<Item> items = factory_.items("Wallet", "w", 2);
  auto [device, pwd_hash] = enabled_device("lifecycle-nonce", items);
  const Item newer = factory_.item("Wallet", "new", kT + 9000);

  EXPECT_TRUE(is_business_error(device.upload({newer}, pwd_hash, 2), 90009));
  EXPECT_TRUE(is_business_error(device.flush({}, "", std::nullopt, 2), 90009));
  EXPECT_EQ(device.nonce(), 1);
  EXPECT_EQ(device.download_all(pwd_hash, true), as_stored_sorted(items));
  ApiResponse lock = device.get_lock();
  ASSERT_TRUE(is_ok(lock));
  EXPECT_FALSE(get_field(lock.data, "lock").is_null());

  // Equal to the user's nonce passes, as does an absent one.
  ApiResponse equal = device.upload({newer}, pwd_hash, 1);
  ASSERT_TRUE(is_ok(equal));
  EXPECT_EQ(get_int(equal.data, "nonce"), 2);
  ApiResponse absent = device.upload({factory_.item("Wallet", "new2", kT)}, pwd_hash, std::nullopt);
  ASSERT_TRUE(is_ok(absent));
  EXPECT_EQ(get_int(absent.data, "nonce"), 3);
}

}  // namespace
}  // namespace primesync::e2e
