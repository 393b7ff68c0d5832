// Flow 9: bad inputs and the order of checks (§4 "Order of checks", §6 codes,
// §1.1 headers, §1.2 tokens). After each refusal, nothing was committed.
#include <chrono>

#include "client_flows.hpp"
#include "server_process.hpp"

namespace primesync::e2e {
namespace {

constexpr std::size_t kBodyLimit = 65536;
constexpr std::string_view kUser = "bad-input-user";

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A token for kUser expiring in an hour, with `extra_claims` (",\"name\":value...").
std::string payload_token(std::string_view extra_claims) {
  const auto exp = unix_now() + 3600;
  return sign_jwt(kTestJwtSecret, R"({"sub":")" + std::string(kUser) + R"(","exp":)" +
                                      std::to_string(exp) + std::string(extra_claims) + "}");
}

class BadInputTest : public ServerTest {
 protected:
  ServerOptions server_options() const override {
    ServerOptions options;
    options.config_toml = "[" + std::string(kBodyLimitSection) + "]\n" +
                          std::string(kBodyLimitKey) + " = " + std::to_string(kBodyLimit) + "\n";
    return options;
  }

  void SetUp() override {
    ServerTest::SetUp();
    if (IsSkipped()) return;
    device_ = std::make_unique<ApiClient>(server().port(), mint_token(kUser));
    pwd_hash_ = factory_.uuid();
    stored_ = factory_.items("Wallet", "w", 3);
    ASSERT_TRUE(is_ok(device_->flush(stored_, pwd_hash_, factory_.lock(kBaseTimestamp))));
    stored_ = as_stored_sorted(stored_);
  }

  // Sends on a fresh connection (a refused request may close it) and checks the
  // Date header every response must carry.
  ApiResponse send(std::string_view method, std::string_view path, std::string_view body,
                   std::string token, const Headers& headers = {}) {
    ApiClient client(server().port(), std::move(token));
    ApiResponse response = client.call(method, path, body, headers);
    EXPECT_TRUE(has_accurate_date(response.http)) << method << " " << path;
    return response;
  }
  ApiResponse upload_as(std::string token, std::string_view body) {
    return send("POST", kUploadPath, body, std::move(token));
  }
  ApiResponse upload(std::string_view body) { return upload_as(mint_token(kUser), body); }

  // A valid upload whose only item would win.
  std::string winning_upload() {
    return upload_body({factory_.item("Wallet", "winner", kBaseTimestamp + 1)}, pwd_hash_);
  }

  void expect_nothing_committed() {
    EXPECT_EQ(device_->nonce(), 1);
    EXPECT_EQ(device_->download_all(pwd_hash_, /*include_deleted=*/true), stored_);
  }

  ItemFactory factory_{901};
  std::unique_ptr<ApiClient> device_;
  std::string pwd_hash_;
  std::vector<Item> stored_;
};

TEST_F(BadInputTest, MalformedJsonIs400NamingTheBody) {
  ApiResponse response = upload(R"({"localData":[{"key":)");
  EXPECT_TRUE(has_code(response, 400, 40000));
  EXPECT_NE(response.message.find("body"), std::string::npos) << response.message;
  expect_nothing_committed();
}

TEST_F(BadInputTest, WrongTypeIs400NamingThePathAndWritesNothing) {
  // Item 0 would win; item 1 has a string timestamp: the whole request is refused.
  std::vector<Item> items = {factory_.item("Wallet", "ok-0", kBaseTimestamp + 1),
                             factory_.item("Wallet", "bad-1", kBaseTimestamp + 777)};
  std::string body = upload_body(items, pwd_hash_);
  const std::string number = R"("dataTimestamp":)" + std::to_string(kBaseTimestamp + 777);
  body.replace(body.find(number), number.size(),
               R"("dataTimestamp":")" + std::to_string(kBaseTimestamp + 777) + "\"");
  ApiResponse response = upload(body);
  EXPECT_TRUE(has_code(response, 400, 40000));
  EXPECT_NE(response.message.find("localData[1].dataTimestamp"), std::string::npos)
      << response.message;
  expect_nothing_committed();
}

TEST_F(BadInputTest, MissingRequiredFieldAndOutOfRangeAre400) {
  ApiResponse missing = upload(R"({"pwdHash":")" + pwd_hash_ + R"(","localData":[{"key":"k"}]})");
  EXPECT_TRUE(has_code(missing, 400, 40000));
  EXPECT_NE(missing.message.find("localData[0]"), std::string::npos) << missing.message;
  Item negative = factory_.item("Wallet", "neg", -1);
  EXPECT_TRUE(has_code(upload(upload_body({negative}, pwd_hash_)), 400, 40000));
  Item too_big = factory_.item("Wallet", "big", (std::int64_t{1} << 53) + 1);
  EXPECT_TRUE(has_code(upload(upload_body({too_big}, pwd_hash_)), 400, 40000));
  EXPECT_TRUE(has_code(upload(upload_body({}, pwd_hash_, -1)), 400, 40000));
  // Change lock with an empty pwdHash is a shape error (§4.6).
  ApiResponse lock = send("POST", kLockPath, change_lock_body(factory_.lock(kBaseTimestamp), ""),
                          mint_token(kUser));
  EXPECT_TRUE(has_code(lock, 400, 40000));
  expect_nothing_committed();
}

TEST_F(BadInputTest, OversizedBodyIs413EvenBeforeTheToken) {
  std::vector<Item> items;
  std::string body;
  for (int i = 0; body.size() <= kBodyLimit + 4096; ++i) {
    items.push_back(factory_.item("Wallet", "big-" + std::to_string(i), kBaseTimestamp + 5));
    body = upload_body(items, pwd_hash_);
  }
  EXPECT_TRUE(has_code(upload(body), 413, 41300));
  EXPECT_TRUE(has_code(upload_as("", body), 413, 41300));  // body size is checked before the token
  expect_nothing_committed();
}

TEST_F(BadInputTest, UnknownPathIs404AndWrongMethodIs405BeforeAuth) {
  const std::string token = mint_token(kUser);
  EXPECT_TRUE(has_code(send("POST", "/prime/v1/sync/nope", "{}", token), 404, 40400));
  EXPECT_TRUE(has_code(send("GET", "/nope", "", token), 404, 40400));
  EXPECT_TRUE(has_code(send("POST", "/prime/v1/sync/nope", "{}", ""), 404, 40400));
  EXPECT_TRUE(has_code(send("GET", kCheckPath, "", token), 405, 40500));
  EXPECT_TRUE(has_code(send("GET", kUploadPath, "", ""), 405, 40500));
  EXPECT_TRUE(has_code(send("DELETE", kLockPath, "", token), 405, 40500));
  expect_nothing_committed();
}

TEST_F(BadInputTest, BadTokensAre90002) {
  const std::string body = winning_upload();
  EXPECT_TRUE(is_business_error(upload_as("", body), 90002));
  EXPECT_TRUE(is_business_error(upload_as(mint_expired_token(kUser), body), 90002));
  EXPECT_TRUE(is_business_error(upload_as(mint_badly_signed_token(kUser), body), 90002));
  EXPECT_TRUE(is_business_error(upload_as("not.a.jwt", body), 90002));
  EXPECT_TRUE(is_business_error(upload_as(payload_token(R"(,"prime":"yes")"), body), 90002));
  const std::string not_yet = R"(,"nbf":)" + std::to_string(unix_now() + 600);
  EXPECT_TRUE(is_business_error(upload_as(payload_token(not_yet), body), 90002));
  EXPECT_TRUE(
      is_business_error(upload_as(sign_jwt(kTestJwtSecret, R"({"sub":"bad-input-user"})"), body),
                        90002));  // exp is required
  EXPECT_TRUE(is_business_error(send("GET", kUserInfoPath, "", ""), 90002));
  // The token is checked before the shape.
  EXPECT_TRUE(is_business_error(upload_as("", "{not json"), 90002));
  expect_nothing_committed();
}

TEST_F(BadInputTest, ExpiryHasSixtySecondsOfLeeway) {
  const std::string recent = mint_token(
      kTestJwtSecret, TokenClaims{std::string(kUser), -std::chrono::seconds(20), std::nullopt});
  EXPECT_TRUE(is_ok(send("GET", kUserInfoPath, "", recent)));
}

TEST_F(BadInputTest, NonPrimeTokenIs90005OnSyncPathsOnly) {
  const std::string not_prime = mint_token(kUser, /*prime=*/false);
  EXPECT_TRUE(is_business_error(upload_as(not_prime, winning_upload()), 90005));
  EXPECT_TRUE(
      is_business_error(send("POST", kCheckPath, check_body({}, pwd_hash_), not_prime), 90005));
  EXPECT_TRUE(
      is_business_error(send("POST", kDownloadPath, download_body({pwd_hash_}), not_prime), 90005));
  EXPECT_TRUE(is_business_error(
      send("POST", kFlushPath, R"({"localData":[],"pwdHash":""})", not_prime), 90005));
  EXPECT_TRUE(is_business_error(send("GET", kLockPath, "", not_prime), 90005));
  // Shape is checked before Prime.
  EXPECT_TRUE(has_code(upload_as(not_prime, "{not json"), 400, 40000));
  ApiResponse info = send("GET", kUserInfoPath, "", not_prime);
  ASSERT_TRUE(is_ok(info));
  EXPECT_FALSE(get_bool(info.data, "isPrime"));
  expect_nothing_committed();
}

TEST_F(BadInputTest, RequestIdIsEchoedOrGenerated) {
  ApiResponse echoed = send("GET", kUserInfoPath, "", mint_token(kUser),
                            {{"x-onekey-request-id", "e2e-request-42"}});
  EXPECT_TRUE(is_ok(echoed));
  EXPECT_EQ(echoed.http.header("x-onekey-request-id"), "e2e-request-42");
  // Even on an error.
  ApiResponse error = send("POST", "/nope", "{}", "", {{"x-onekey-request-id", "e2e-request-43"}});
  EXPECT_EQ(error.http.header("x-onekey-request-id"), "e2e-request-43");
  ApiResponse generated = send("GET", kUserInfoPath, "", mint_token(kUser));
  ASSERT_TRUE(generated.http.header("x-onekey-request-id").has_value());
  EXPECT_FALSE(generated.http.header("x-onekey-request-id")->empty());
}

}  // namespace
}  // namespace primesync::e2e

namespace primesync::e2e {
namespace {

// Small configured limits (config keys from the server's settings table) so the
// tests can trip them cheaply: "every limit has a config value and a test".
constexpr int kMaxItemsPerRequest = 5;
constexpr int kMaxItemBytes = 2048;
constexpr int kMaxPageSize = 3;

class LimitsTest : public ServerTest {
 protected:
  ServerOptions server_options() const override {
    ServerOptions options;
    options.config_toml = "[limits]\nmaxItemsPerRequest = " + std::to_string(kMaxItemsPerRequest) +
                          "\nmaxItemBytes = " + std::to_string(kMaxItemBytes) +
                          "\nmaxPageSize = " + std::to_string(kMaxPageSize) + "\n";
    return options;
  }

  void SetUp() override {
    ServerTest::SetUp();
    if (IsSkipped()) return;
    device_ = std::make_unique<ApiClient>(server().port(), mint_token("limits-user"));
    pwd_hash_ = factory_.uuid();
    // Under the item limit even if the server counted the lock as an item.
    stored_ = factory_.items("Wallet", "w", kMaxItemsPerRequest - 1);
    for (Item& item : stored_) item.data.resize(std::min<std::size_t>(item.data.size(), 1000));
    ASSERT_TRUE(is_ok(device_->flush(stored_, pwd_hash_, factory_.lock(kBaseTimestamp))));
    stored_ = as_stored_sorted(stored_);
  }

  void expect_nothing_committed() {
    EXPECT_EQ(device_->nonce(), 1);
    DownloadQuery everything{.pwd_hash = pwd_hash_, .include_deleted = true, .limit = 100};
    std::vector<Item> all;
    for (ApiResponse page = device_->download(everything);; page = device_->download(everything)) {
      ASSERT_TRUE(is_ok(page));
      std::vector<Item> items = get_items(page.data, "serverData");
      all.insert(all.end(), items.begin(), items.end());
      if (!get_bool(page.data, "hasMore") || items.empty()) break;
      everything.after = items.back().key;
    }
    EXPECT_EQ(all, stored_);
  }

  ItemFactory factory_{902};
  std::unique_ptr<ApiClient> device_;
  std::string pwd_hash_;
  std::vector<Item> stored_;
};

TEST_F(LimitsTest, TooManyItemsIs41300) {
  std::vector<Item> items = factory_.items("Account", "a", kMaxItemsPerRequest + 1, kBaseTimestamp);
  for (Item& item : items) item.data = "00";
  EXPECT_TRUE(has_code(device_->upload(items, pwd_hash_), 413, 41300));
  EXPECT_TRUE(
      has_code(device_->flush(items, pwd_hash_, factory_.lock(kBaseTimestamp)), 413, 41300));
  expect_nothing_committed();
  items.pop_back();
  EXPECT_TRUE(is_ok(device_->upload(items, pwd_hash_)));
}

TEST_F(LimitsTest, ItemDataOverTheItemSizeIs400) {
  Item big = factory_.item("Account", "big", kBaseTimestamp);
  big.data = std::string(kMaxItemBytes + 1, 'a');
  ApiResponse refused =
      device_->upload({factory_.item("Account", "fine", kBaseTimestamp), big}, pwd_hash_);
  EXPECT_TRUE(has_code(refused, 400, 40000));
  EXPECT_NE(refused.message.find("localData[1].data"), std::string::npos) << refused.message;
  expect_nothing_committed();
  big.data.pop_back();
  EXPECT_TRUE(is_ok(device_->upload({big}, pwd_hash_)));
}

TEST_F(LimitsTest, DownloadPagesAreCappedByMaxPageSize) {
  for (std::int64_t limit : {0, 100}) {
    ApiResponse page = device_->download({.pwd_hash = pwd_hash_, .limit = limit});
    ASSERT_TRUE(is_ok(page));
    EXPECT_EQ(get_items(page.data, "serverData"),
              std::vector<Item>(stored_.begin(), stored_.begin() + kMaxPageSize))
        << "limit " << limit;
    EXPECT_TRUE(get_bool(page.data, "hasMore"));
  }
  ApiResponse unlimited = device_->download({.pwd_hash = pwd_hash_});
  ASSERT_TRUE(is_ok(unlimited));
  EXPECT_EQ(get_items(unlimited.data, "serverData").size(), static_cast<std::size_t>(kMaxPageSize));
  EXPECT_TRUE(get_bool(unlimited.data, "hasMore"));
}

class DefaultPrimeOffTest : public ServerTest {
 protected:
  ServerOptions server_options() const override {
    ServerOptions options;
    options.config_toml = "[auth]\ndefaultPrime = false\n";
    return options;
  }
};

TEST_F(DefaultPrimeOffTest, TheClaimDecidesAndItsAbsenceUsesTheDefault) {
  ApiClient no_claim(server().port(), mint_token("prime-default"));
  EXPECT_TRUE(is_business_error(no_claim.check({}, ""), 90005));
  ApiClient prime(server().port(), mint_token("prime-default", /*prime=*/true));
  EXPECT_TRUE(is_ok(prime.check({}, "")));
}

}  // namespace
}  // namespace primesync::e2e
