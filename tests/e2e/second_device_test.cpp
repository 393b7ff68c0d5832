// Flow 2: a second device joins a user that already syncs (PROTOCOL.md §4.1
// classification, §4.2 last-writer-wins upload, §3 identity and duplicates).
#include <map>

#include "client_flows.hpp"
#include "server_process.hpp"

namespace primesync::e2e {
namespace {

using Strings = std::vector<std::string>;
constexpr std::int64_t kT = kBaseTimestamp;

// Replaces the stored copy of each item in `changes` (by key), or adds it.
std::vector<Item> apply(std::vector<Item> stored, const std::vector<Item>& changes) {
  std::map<std::string, Item> by_key;
  for (Item& item : stored) by_key[item.key] = std::move(item);
  for (const Item& item : changes) by_key[item.key] = as_stored(item);
  std::vector<Item> out;
  for (auto& [key, item] : by_key) out.push_back(std::move(item));
  return out;
}

std::vector<Item> live_only(std::vector<Item> items) {
  std::erase_if(items, [](const Item& item) { return item.is_deleted.value_or(false); });
  return items;
}

Item with_time(Item item, std::optional<std::int64_t> timestamp, std::string data) {
  item.data_timestamp = timestamp;
  item.data = std::move(data);
  return item;
}

class SecondDeviceTest : public ServerTest {
 protected:
  // Device A enabled sync with `stored`; returns its pwdHash.
  std::string enable_sync(ApiClient& device_a, const std::vector<Item>& stored) {
    const std::string pwd_hash = factory_.uuid();
    ApiResponse flush = device_a.flush(stored, pwd_hash, factory_.lock(kT));
    EXPECT_TRUE(is_ok(flush));
    return pwd_hash;
  }

  ItemFactory factory_{201};
};

TEST_F(SecondDeviceTest, CheckClassifiesThenUploadMergesByClientTime) {
  const std::string user = "second-device-user";
  ApiClient device_a(server().port(), mint_token(user), factory_.uuid());
  ApiClient device_b(server().port(), mint_token(user), factory_.uuid());

  const Item missing_locally = factory_.item("Wallet", "w-missing", kT);
  const Item newer_locally = factory_.item("Account", "acc-newer", kT);
  const Item older_locally = factory_.item("Account", "acc-older", kT + 5000);
  const Item tombstone_newer_on_server = factory_.item("Account", "acc-tomb", kT + 5000, true);
  const Item tombstone_not_local = factory_.item("Wallet", "w-tomb", kT, true);
  const Item no_timestamp_locally = factory_.item("BrowserBookmark", "bm-nots", kT);
  const Item equal_time = factory_.item("AddressBook", "ab-equal", kT);
  const Item excluded_type = factory_.item("MarketWatchList", "mw-excluded", kT);
  const std::vector<Item> stored =
      as_stored_sorted({missing_locally, newer_locally, older_locally, tombstone_newer_on_server,
                        tombstone_not_local, no_timestamp_locally, equal_time, excluded_type});
  const std::string pwd_hash = enable_sync(device_a, stored);

  // Device B's local state.
  const Item local_only_1 = factory_.item("CustomToken", "token-1", kT + 100);
  const Item local_only_2 = factory_.item("CustomNetwork", "net-2", kT + 200);
  const Item b_newer = with_time(newer_locally, kT + 5000, factory_.random_data());
  const Item b_older = with_time(older_locally, kT, factory_.random_data());
  const Item b_tomb = with_time(tombstone_newer_on_server, kT, factory_.random_data());
  const Item b_nots = with_time(no_timestamp_locally, std::nullopt, "");
  const Item b_equal = with_time(equal_time, kT, factory_.random_data());
  // Client-only keys deliberately not in key order: they are reported in request order.
  const bool one_first = local_only_1.key > local_only_2.key;
  const Item& first_only = one_first ? local_only_1 : local_only_2;
  const Item& second_only = one_first ? local_only_2 : local_only_1;
  const std::vector<Item> local = {first_only, b_newer, b_older, second_only,
                                   b_tomb,     b_nots,  b_equal};

  ApiResponse check = device_b.check(local, pwd_hash, {"MarketWatchList"});
  ASSERT_TRUE(is_ok(check));
  EXPECT_EQ(get_keys(check.data, "deleted"), Strings{tombstone_newer_on_server.key});
  EXPECT_EQ(get_keys(check.data, "obsoleted"),
            (Strings{first_only.key, second_only.key, newer_locally.key}));
  EXPECT_EQ(get_items(check.data, "diff"), std::vector<Item>{as_stored(no_timestamp_locally)});
  EXPECT_EQ(get_items(check.data, "updated"), as_stored_sorted({missing_locally, older_locally}));
  EXPECT_EQ(get_int(check.data, "nonce"), 1);
  EXPECT_EQ(get_string(check.data, "pwdHash"), pwd_hash);

  // Without the type filter the MarketWatchList item is missing locally → updated.
  ApiResponse unfiltered = device_b.check(local, pwd_hash);
  ASSERT_TRUE(is_ok(unfiltered));
  EXPECT_EQ(get_items(unfiltered.data, "updated"),
            as_stored_sorted({missing_locally, older_locally, excluded_type}));

  // B uploads what it holds newer (plus an older copy and a tie).
  const std::vector<Item> upload = {first_only, second_only, b_newer, b_older, b_equal};
  ApiResponse uploaded = device_b.upload(upload, pwd_hash);
  ASSERT_TRUE(is_ok(uploaded));
  EXPECT_EQ(field_names(uploaded.data),
            (Strings{"created", "nonce", "pwdHash", "skipped", "updated"}));
  EXPECT_EQ(get_int(uploaded.data, "created"), 2);
  EXPECT_EQ(get_int(uploaded.data, "updated"),
            2);  // b_newer, and b_equal: a tie goes to the upload
  EXPECT_EQ(get_int(uploaded.data, "skipped"), 1);  // b_older
  EXPECT_EQ(get_int(uploaded.data, "nonce"), 2);
  EXPECT_EQ(get_string(uploaded.data, "pwdHash"), pwd_hash);

  const std::vector<Item> after_upload = apply(stored, {first_only, second_only, b_newer, b_equal});
  EXPECT_EQ(device_a.download_all(pwd_hash), live_only(after_upload));
  EXPECT_EQ(device_a.download_all(pwd_hash, /*include_deleted=*/true), after_upload);

  // An upload in which nothing wins changes nothing, not even the nonce.
  const std::vector<Item> losers = {b_older, with_time(newer_locally, kT, factory_.random_data())};
  ApiResponse lost = device_b.upload(losers, pwd_hash);
  ASSERT_TRUE(is_ok(lost));
  EXPECT_EQ(get_int(lost.data, "created"), 0);
  EXPECT_EQ(get_int(lost.data, "updated"), 0);
  EXPECT_EQ(get_int(lost.data, "skipped"), 2);
  EXPECT_EQ(get_int(lost.data, "nonce"), 2);
  EXPECT_EQ(device_a.nonce(), 2);
  EXPECT_EQ(device_a.download_all(pwd_hash, true), after_upload);
}

TEST_F(SecondDeviceTest, CheckWithAFutureNonceReportsNoClientOnlyKeys) {
  ApiClient device(server().port(), mint_token("second-future-nonce"));
  const std::string pwd_hash = enable_sync(device, {factory_.item("Wallet", "w", kT)});
  const Item local_only = factory_.item("Wallet", "only-here", kT);

  // §4.1: client-only keys are obsoleted only when the request nonce ≤ the user's.
  ApiResponse check = device.post(kCheckPath, check_body({local_only}, pwd_hash, {}, 7));
  ASSERT_TRUE(is_ok(check));
  EXPECT_EQ(get_keys(check.data, "obsoleted"), Strings{});
  ApiResponse current = device.post(kCheckPath, check_body({local_only}, pwd_hash, {}, 1));
  ASSERT_TRUE(is_ok(current));
  EXPECT_EQ(get_keys(current.data, "obsoleted"), Strings{local_only.key});
}

TEST_F(SecondDeviceTest, DuplicateKeysInOneRequestLargestTimestampWins) {
  ApiClient device(server().port(), mint_token("second-duplicates"));
  const std::string pwd_hash = enable_sync(device, {});
  const Item base = factory_.item("Wallet", "dup", kT);
  const Item older = with_time(base, kT + 10, "aa");
  const Item newest = with_time(base, kT + 20, "bb");
  const Item newest_later = with_time(base, kT + 20, "cc");  // a tie goes to the later copy

  ApiResponse uploaded = device.upload({newest, older, newest_later}, pwd_hash);
  ASSERT_TRUE(is_ok(uploaded));
  EXPECT_EQ(get_int(uploaded.data, "created"), 1);
  EXPECT_EQ(get_int(uploaded.data, "updated"), 0);
  EXPECT_EQ(get_int(uploaded.data, "skipped"), 2);
  EXPECT_EQ(get_int(uploaded.data, "nonce"), 2);
  EXPECT_EQ(device.download_all(pwd_hash), std::vector<Item>{as_stored(newest_later)});

  // A key appears at most once in a response array.
  const Item unknown = factory_.item("Wallet", "unknown", kT);
  ApiResponse check = device.check({unknown, unknown, with_time(base, kT + 99, "")}, pwd_hash);
  ASSERT_TRUE(is_ok(check));
  EXPECT_EQ(get_keys(check.data, "obsoleted"), (Strings{unknown.key, base.key}));
}

TEST_F(SecondDeviceTest, KeyAloneIdentifiesAnItemAndAWinnerMayChangeItsType) {
  ApiClient device(server().port(), mint_token("second-identity"));
  const Item original = factory_.item("Account", "acc", kT);
  const std::string pwd_hash = enable_sync(device, {original});

  Item retyped = with_time(original, kT + 1, factory_.random_data());
  retyped.data_type = "IndexedAccount";
  ApiResponse uploaded = device.upload({retyped}, pwd_hash);
  ASSERT_TRUE(is_ok(uploaded));
  EXPECT_EQ(get_int(uploaded.data, "created"), 0);
  EXPECT_EQ(get_int(uploaded.data, "updated"), 1);
  EXPECT_EQ(device.download_all(pwd_hash), std::vector<Item>{as_stored(retyped)});
}

}  // namespace
}  // namespace primesync::e2e
