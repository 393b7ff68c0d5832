// What a real OneKey client sends and receives (PROTOCOL.md §3–§4): realistic
// items and request bodies, an API client that posts JSON and parses the
// envelope, and strict readers for the shapes the server returns.
#pragma once

#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "http_client.hpp"

namespace primesync::e2e {

inline constexpr std::string_view kCheckPath = "/prime/v1/sync/check";
inline constexpr std::string_view kUploadPath = "/prime/v1/sync/upload";
inline constexpr std::string_view kDownloadPath = "/prime/v1/sync/download";
inline constexpr std::string_view kFlushPath = "/prime/v1/sync/flush";
inline constexpr std::string_view kLockPath = "/prime/v1/sync/lock";
inline constexpr std::string_view kUserInfoPath = "/prime/v1/user/info";
inline constexpr std::string_view kLoginPath = "/prime/v1/user/login";
inline constexpr std::string_view kLogoutPath = "/prime/v1/user/logout";
inline constexpr std::string_view kDevicesPath = "/prime/v1/user/devices";
inline constexpr std::string_view kDevicePathPrefix = "/prime/v1/user/device/";

// A fixed, realistic clock origin (2024-01-01) so tests are deterministic.
inline constexpr std::int64_t kBaseTimestamp = 1704067200000;

struct Item {
  std::string key;
  std::string data_type;
  std::string data;
  std::optional<std::int64_t> data_timestamp;
  std::optional<bool> is_deleted;
  // Only on a lock the server returns.
  std::optional<std::string> pwd_hash;
  std::optional<std::string> user_id;

  bool operator==(const Item&) const = default;
};
void PrintTo(const Item& item, std::ostream* os);

[[nodiscard]] std::string sha512_hex(std::string_view text);
// The real client's key: SHA-512 of "<dataType> >> <rawKey>", lowercase hex.
[[nodiscard]] std::string item_key(std::string_view data_type, std::string_view raw_key);
// The key of the lock item: item_key("Lock", "lock").
[[nodiscard]] std::string lock_item_key();

// Deterministic generator of realistic items and ids.
class ItemFactory {
 public:
  explicit ItemFactory(std::uint64_t seed) : rng_(seed) {}

  [[nodiscard]] Item item(std::string_view data_type, std::string_view raw_key,
                          std::int64_t timestamp, bool deleted = false);
  // n items "<prefix>-<i>" of one type, timestamps base, base+1000, ...
  [[nodiscard]] std::vector<Item> items(std::string_view data_type, std::string_view prefix, int n,
                                        std::int64_t base = kBaseTimestamp);
  [[nodiscard]] Item lock(std::int64_t timestamp);
  // Ciphertext-like payload: 480–1,700 random lowercase hex chars.
  [[nodiscard]] std::string random_data();
  [[nodiscard]] std::string uuid();

 private:
  std::mt19937_64 rng_;
};

// ---- request bodies ----------------------------------------------------------------

[[nodiscard]] std::string json_string(std::string_view text);
// An item as the real client uploads it: with the extras it sends (a `pwdHash` on
// every item and `$$dataTimestampStr`), which the server must ignore (§1).
[[nodiscard]] std::string item_json(const Item& item, std::string_view pwd_hash);
[[nodiscard]] std::string items_json(const std::vector<Item>& items, std::string_view pwd_hash);

[[nodiscard]] std::string check_body(const std::vector<Item>& local, std::string_view pwd_hash,
                                     const std::vector<std::string>& only_types = {},
                                     std::optional<std::int64_t> nonce = 0);
[[nodiscard]] std::string upload_body(const std::vector<Item>& items, std::string_view pwd_hash,
                                      std::optional<std::int64_t> nonce = 0);

struct DownloadQuery {
  std::string pwd_hash = {};
  std::optional<bool> include_deleted = {};
  std::optional<std::int64_t> skip = {};
  std::optional<std::int64_t> start = {};
  std::optional<std::int64_t> limit = {};
  std::optional<std::string> after = {};
};
[[nodiscard]] std::string download_body(const DownloadQuery& query);

[[nodiscard]] std::string flush_body(const std::vector<Item>& items,
                                     std::optional<std::string> pwd_hash,
                                     const std::optional<Item>& lock,
                                     std::optional<std::int64_t> nonce = 0);
[[nodiscard]] std::string change_lock_body(const Item& lock, std::string_view pwd_hash);

// ---- responses ---------------------------------------------------------------------

// One response with its envelope parsed (§1). `data` and `root` stay valid as long
// as this object lives.
struct ApiResponse {
  HttpResponse http;
  std::string envelope_error;  // non-empty when the body is not a well-formed envelope
  std::int64_t code = -1;
  std::string message;
  simdjson::dom::element root;
  simdjson::dom::element data;  // object, or null

  [[nodiscard]] std::string describe() const;

 private:
  friend ApiResponse parse_envelope(HttpResponse http);
  std::unique_ptr<simdjson::dom::parser> parser_;
};
[[nodiscard]] ApiResponse parse_envelope(HttpResponse http);

// Passes when the envelope is well-formed with this HTTP status and code.
[[nodiscard]] ::testing::AssertionResult has_code(const ApiResponse& response, int http_status,
                                                  std::int64_t code);
// Success: HTTP 200, code 0, data an object.
[[nodiscard]] ::testing::AssertionResult is_ok(const ApiResponse& response);
// A business error: HTTP 200 with `code`.
[[nodiscard]] ::testing::AssertionResult is_business_error(const ApiResponse& response,
                                                           std::int64_t code);

// The response carries a `Date` header (IMF-fixdate) within 5 s of this host's clock (§1).
[[nodiscard]] ::testing::AssertionResult has_accurate_date(const HttpResponse& response);

// Strict field readers; they throw std::runtime_error naming what is wrong.
[[nodiscard]] simdjson::dom::element get_field(simdjson::dom::element object,
                                               std::string_view field);
[[nodiscard]] std::int64_t get_int(simdjson::dom::element object, std::string_view field);
[[nodiscard]] std::string get_string(simdjson::dom::element object, std::string_view field);
[[nodiscard]] bool get_bool(simdjson::dom::element object, std::string_view field);
[[nodiscard]] std::vector<std::string> field_names(simdjson::dom::element object);
[[nodiscard]] std::vector<std::string> get_keys(simdjson::dom::element object,
                                                std::string_view field);
// Items exactly as §3 says the server returns them: exactly key, dataType, data,
// dataTimestamp, isDeleted (plus pwdHash, userId for the lock).
[[nodiscard]] Item read_item(simdjson::dom::element element, bool is_lock = false);
[[nodiscard]] std::vector<Item> get_items(simdjson::dom::element object, std::string_view field);

// What the server stores for an uploaded item: isDeleted absent → false (§3).
[[nodiscard]] Item as_stored(Item item);
[[nodiscard]] std::vector<Item> as_stored_sorted(std::vector<Item> items);
[[nodiscard]] std::vector<std::string> keys_of(const std::vector<Item>& items);

// ---- the API client ------------------------------------------------------------------

// One device of one user: a keep-alive connection plus its token and instance id.
class ApiClient {
 public:
  ApiClient(std::uint16_t port, std::string token, std::string instance_id = {});

  ApiResponse call(std::string_view method, std::string_view path, std::string_view body = {},
                   const Headers& extra_headers = {});
  ApiResponse post(std::string_view path, std::string_view body) {
    return call("POST", path, body);
  }
  ApiResponse get(std::string_view path) { return call("GET", path); }

  ApiResponse check(const std::vector<Item>& local, std::string_view pwd_hash,
                    const std::vector<std::string>& only_types = {}) {
    return post(kCheckPath, check_body(local, pwd_hash, only_types));
  }
  ApiResponse upload(const std::vector<Item>& items, std::string_view pwd_hash,
                     std::optional<std::int64_t> nonce = 0) {
    return post(kUploadPath, upload_body(items, pwd_hash, nonce));
  }
  ApiResponse download(const DownloadQuery& query) {
    return post(kDownloadPath, download_body(query));
  }
  ApiResponse flush(const std::vector<Item>& items, std::optional<std::string> pwd_hash,
                    const std::optional<Item>& lock, std::optional<std::int64_t> nonce = 0) {
    return post(kFlushPath, flush_body(items, std::move(pwd_hash), lock, nonce));
  }
  ApiResponse get_lock() { return get(kLockPath); }
  ApiResponse change_lock(const Item& lock, std::string_view pwd_hash) {
    return post(kLockPath, change_lock_body(lock, pwd_hash));
  }
  ApiResponse user_info() { return get(kUserInfoPath); }

  // Downloads every item (one page, no limit); throws unless the call succeeds.
  std::vector<Item> download_all(std::string_view pwd_hash, bool include_deleted = false);
  // The user's nonce from user info; throws unless the call succeeds.
  std::int64_t nonce();

  HttpClient& http() { return http_; }
  void set_token(std::string token) { token_ = std::move(token); }
  void set_instance_id(std::string instance_id) { instance_id_ = std::move(instance_id); }

 private:
  HttpClient http_;
  std::string token_;
  std::string instance_id_;
};

}  // namespace primesync::e2e
