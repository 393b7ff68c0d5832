#include "client_flows.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <set>
#include <sstream>
#include <stdexcept>

namespace primesync::e2e {
namespace {

constexpr char kHex[] = "0123456789abcdef";

std::string optional_int(std::optional<std::int64_t> value) {
  return value ? std::to_string(*value) : "null";
}

// Appends `"name":value` with a leading comma unless it is the first field.
void add_field(std::string& out, std::string_view name, std::string_view value) {
  if (out.size() > 1) out += ',';
  out += json_string(name);
  out += ':';
  out += value;
}

std::runtime_error shape_error(std::string_view what) {
  return std::runtime_error("response shape violates PROTOCOL.md: " + std::string(what));
}

}  // namespace

simdjson::dom::element get_field(simdjson::dom::element object, std::string_view name) {
  simdjson::dom::object obj;
  if (object.get_object().get(obj) != simdjson::SUCCESS) {
    throw shape_error("expected an object holding `" + std::string(name) + "`");
  }
  simdjson::dom::element value;
  if (obj.at_key(name).get(value) != simdjson::SUCCESS) {
    throw shape_error("missing field `" + std::string(name) + "` in " +
                      simdjson::to_string(object));
  }
  return value;
}

void PrintTo(const Item& item, std::ostream* os) {
  *os << "{key=" << item.key.substr(0, 12) << "…, dataType=" << item.data_type
      << ", data=" << item.data.size()
      << " chars, dataTimestamp=" << optional_int(item.data_timestamp)
      << ", isDeleted=" << (item.is_deleted ? (*item.is_deleted ? "true" : "false") : "absent");
  if (item.pwd_hash) *os << ", pwdHash=" << *item.pwd_hash;
  if (item.user_id) *os << ", userId=" << *item.user_id;
  *os << "}";
}

std::string sha512_hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha512(), nullptr) != 1) {
    throw std::runtime_error("SHA-512 failed");
  }
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[digest[i] >> 4U];
    out += kHex[digest[i] & 15U];
  }
  return out;
}

std::string item_key(std::string_view data_type, std::string_view raw_key) {
  return sha512_hex(std::string(data_type) + " >> " + std::string(raw_key));
}

std::string lock_item_key() {
  return item_key("Lock", "lock");
}

Item ItemFactory::item(std::string_view data_type, std::string_view raw_key, std::int64_t timestamp,
                       bool deleted) {
  Item out{
      item_key(data_type, raw_key), std::string(data_type), random_data(), timestamp, {}, {}, {}};
  if (deleted) out.is_deleted = true;
  return out;
}

std::vector<Item> ItemFactory::items(std::string_view data_type, std::string_view prefix, int n,
                                     std::int64_t base) {
  std::vector<Item> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(item(data_type, std::string(prefix) + "-" + std::to_string(i), base + i * 1000));
  }
  return out;
}

Item ItemFactory::lock(std::int64_t timestamp) {
  Item out = item("Lock", "lock", timestamp);
  out.is_deleted = false;  // the real client sends it explicitly
  return out;
}

std::string ItemFactory::random_data() {
  std::uniform_int_distribution<int> length(480, 1700);
  std::uniform_int_distribution<int> digit(0, 15);
  std::string out(static_cast<std::size_t>(length(rng_)), '0');
  for (char& c : out) c = kHex[digit(rng_)];
  return out;
}

std::string ItemFactory::uuid() {
  std::uniform_int_distribution<int> digit(0, 15);
  std::string out = "xxxxxxxx-xxxx-4xxx-8xxx-xxxxxxxxxxxx";
  for (char& c : out) {
    if (c == 'x') c = kHex[digit(rng_)];
  }
  return out;
}

std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += "\\u00";
          out += kHex[(c >> 4) & 15];
          out += kHex[c & 15];
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string item_json(const Item& item, std::string_view pwd_hash) {
  std::string out = "{";
  add_field(out, "key", json_string(item.key));
  add_field(out, "dataType", json_string(item.data_type));
  add_field(out, "data", json_string(item.data));
  add_field(out, "dataTimestamp", optional_int(item.data_timestamp));
  if (item.is_deleted) add_field(out, "isDeleted", *item.is_deleted ? "true" : "false");
  add_field(out, "pwdHash", json_string(pwd_hash));
  if (item.data_timestamp) {
    add_field(out, "$$dataTimestampStr", json_string(std::to_string(*item.data_timestamp)));
  }
  return out + "}";
}

std::string items_json(const std::vector<Item>& items, std::string_view pwd_hash) {
  std::string out = "[";
  for (const Item& item : items) {
    if (out.size() > 1) out += ',';
    out += item_json(item, pwd_hash);
  }
  return out + "]";
}

std::string check_body(const std::vector<Item>& local, std::string_view pwd_hash,
                       const std::vector<std::string>& only_types,
                       std::optional<std::int64_t> nonce) {
  // Check entries carry no data; a missing timestamp is sent as null, like the client.
  std::string entries = "[";
  for (const Item& item : local) {
    if (entries.size() > 1) entries += ',';
    std::string entry = "{";
    add_field(entry, "key", json_string(item.key));
    add_field(entry, "dataType", json_string(item.data_type));
    add_field(entry, "dataTimestamp", optional_int(item.data_timestamp));
    entries += entry + "}";
  }
  entries += "]";
  std::string out = "{";
  add_field(out, "localData", entries);
  if (!only_types.empty()) {
    std::string types = "[";
    for (const auto& type : only_types) {
      if (types.size() > 1) types += ',';
      types += json_string(type);
    }
    add_field(out, "onlyCheckLocalDataType", types + "]");
  }
  add_field(out, "pwdHash", json_string(pwd_hash));
  if (nonce) add_field(out, "nonce", std::to_string(*nonce));
  return out + "}";
}

std::string upload_body(const std::vector<Item>& items, std::string_view pwd_hash,
                        std::optional<std::int64_t> nonce) {
  std::string out = "{";
  add_field(out, "localData", items_json(items, pwd_hash));
  add_field(out, "pwdHash", json_string(pwd_hash));
  if (nonce) add_field(out, "nonce", std::to_string(*nonce));
  return out + "}";
}

std::string download_body(const DownloadQuery& query) {
  std::string out = "{";
  add_field(out, "pwdHash", json_string(query.pwd_hash));
  if (query.include_deleted)
    add_field(out, "includeDeleted", *query.include_deleted ? "true" : "false");
  if (query.skip) add_field(out, "skip", std::to_string(*query.skip));
  if (query.start) add_field(out, "start", std::to_string(*query.start));
  if (query.limit) add_field(out, "limit", std::to_string(*query.limit));
  if (query.after) add_field(out, "after", json_string(*query.after));
  return out + "}";
}

std::string flush_body(const std::vector<Item>& items, std::optional<std::string> pwd_hash,
                       const std::optional<Item>& lock, std::optional<std::int64_t> nonce) {
  const std::string pwd = pwd_hash.value_or("");
  std::string out = "{";
  add_field(out, "localData", items_json(items, pwd));
  if (pwd_hash) add_field(out, "pwdHash", json_string(*pwd_hash));
  if (nonce) add_field(out, "nonce", std::to_string(*nonce));
  if (lock) add_field(out, "lock", item_json(*lock, pwd));
  return out + "}";
}

std::string change_lock_body(const Item& lock, std::string_view pwd_hash) {
  std::string out = "{";
  add_field(out, "lock", item_json(lock, pwd_hash));
  add_field(out, "pwdHash", json_string(pwd_hash));
  return out + "}";
}

std::string ApiResponse::describe() const {
  std::string body = http.body.size() > 600 ? http.body.substr(0, 600) + "…" : http.body;
  return "HTTP " + std::to_string(http.status) + " body " + body +
         (envelope_error.empty() ? "" : " [envelope error: " + envelope_error + "]");
}

ApiResponse parse_envelope(HttpResponse http) {
  ApiResponse response;
  response.http = std::move(http);
  response.parser_ = std::make_unique<simdjson::dom::parser>();
  simdjson::padded_string padded(response.http.body);
  if (response.parser_->parse(padded).get(response.root) != simdjson::SUCCESS) {
    response.envelope_error = "body is not JSON";
    return response;
  }
  simdjson::dom::object root;
  if (response.root.get_object().get(root) != simdjson::SUCCESS) {
    response.envelope_error = "body is not an object";
    return response;
  }
  std::set<std::string> names;
  for (auto [name, value] : root) names.emplace(name);
  if (names != std::set<std::string>{"code", "message", "data"}) {
    response.envelope_error = "envelope fields are not exactly code, message, data";
  }
  simdjson::dom::element code, message;
  std::string_view message_text;
  if (root.at_key("code").get(code) != simdjson::SUCCESS ||
      code.get_int64().get(response.code) != simdjson::SUCCESS) {
    response.envelope_error = "`code` missing or not an integer";
  }
  if (root.at_key("message").get(message) != simdjson::SUCCESS ||
      message.get_string().get(message_text) != simdjson::SUCCESS) {
    response.envelope_error = "`message` missing or not a string";
  }
  response.message = std::string(message_text);
  if (root.at_key("data").get(response.data) != simdjson::SUCCESS ||
      !(response.data.is_object() || response.data.is_null())) {
    response.envelope_error = "`data` missing or neither object nor null";
  } else if (response.code == 0 && !response.data.is_object()) {
    response.envelope_error = "code 0 but `data` is not an object";
  }
  return response;
}

::testing::AssertionResult has_code(const ApiResponse& response, int http_status,
                                    std::int64_t code) {
  if (!response.envelope_error.empty() || response.http.status != http_status ||
      response.code != code) {
    return ::testing::AssertionFailure() << "expected HTTP " << http_status << " code " << code
                                         << ", got " << response.describe();
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult is_ok(const ApiResponse& response) {
  return has_code(response, 200, 0);
}

::testing::AssertionResult is_business_error(const ApiResponse& response, std::int64_t code) {
  return has_code(response, 200, code);
}

::testing::AssertionResult has_accurate_date(const HttpResponse& response) {
  auto date = response.header("Date");
  if (!date) return ::testing::AssertionFailure() << "no Date header";
  std::tm parsed{};
  const char* end = ::strptime(date->c_str(), "%a, %d %b %Y %H:%M:%S GMT", &parsed);
  if (end == nullptr || *end != '\0') {
    return ::testing::AssertionFailure() << "Date is not an IMF-fixdate: " << *date;
  }
  const auto skew = std::abs(static_cast<long long>(::timegm(&parsed) - std::time(nullptr)));
  if (skew > 5)
    return ::testing::AssertionFailure() << "Date is off by " << skew << " s: " << *date;
  return ::testing::AssertionSuccess();
}

std::int64_t get_int(simdjson::dom::element object, std::string_view name) {
  std::int64_t value = 0;
  simdjson::dom::element element = get_field(object, name);
  if (!element.is_int64() || element.get_int64().get(value) != simdjson::SUCCESS) {
    throw shape_error("`" + std::string(name) +
                      "` is not an integer: " + simdjson::to_string(element));
  }
  return value;
}

std::string get_string(simdjson::dom::element object, std::string_view name) {
  std::string_view value;
  if (get_field(object, name).get_string().get(value) != simdjson::SUCCESS) {
    throw shape_error("`" + std::string(name) + "` is not a string");
  }
  return std::string(value);
}

bool get_bool(simdjson::dom::element object, std::string_view name) {
  bool value = false;
  if (get_field(object, name).get_bool().get(value) != simdjson::SUCCESS) {
    throw shape_error("`" + std::string(name) + "` is not a boolean");
  }
  return value;
}

std::vector<std::string> field_names(simdjson::dom::element object) {
  simdjson::dom::object obj;
  if (object.get_object().get(obj) != simdjson::SUCCESS) throw shape_error("not an object");
  std::vector<std::string> names;
  for (auto [name, value] : obj) names.emplace_back(name);
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> get_keys(simdjson::dom::element object, std::string_view name) {
  simdjson::dom::array array;
  if (get_field(object, name).get_array().get(array) != simdjson::SUCCESS) {
    throw shape_error("`" + std::string(name) + "` is not an array");
  }
  std::vector<std::string> keys;
  for (simdjson::dom::element element : array) {
    std::string_view key;
    if (element.get_string().get(key) != simdjson::SUCCESS) {
      throw shape_error("`" + std::string(name) + "` holds a non-string");
    }
    keys.emplace_back(key);
  }
  return keys;
}

Item read_item(simdjson::dom::element element, bool is_lock) {
  std::vector<std::string> expected = {"data", "dataTimestamp", "dataType", "isDeleted", "key"};
  if (is_lock)
    expected = {"data", "dataTimestamp", "dataType", "isDeleted", "key", "pwdHash", "userId"};
  std::vector<std::string> names = field_names(element);
  if (names != expected) {
    std::string got;
    for (const auto& name : names) got += name + " ";
    throw shape_error(std::string(is_lock ? "lock" : "item") +
                      " fields are not exactly the documented ones (§3); got: " + got);
  }
  Item item;
  item.key = get_string(element, "key");
  item.data_type = get_string(element, "dataType");
  item.data = get_string(element, "data");
  item.data_timestamp = get_int(element, "dataTimestamp");
  item.is_deleted = get_bool(element, "isDeleted");
  if (is_lock) {
    item.pwd_hash = get_string(element, "pwdHash");
    item.user_id = get_string(element, "userId");
  }
  return item;
}

std::vector<Item> get_items(simdjson::dom::element object, std::string_view name) {
  simdjson::dom::array array;
  if (get_field(object, name).get_array().get(array) != simdjson::SUCCESS) {
    throw shape_error("`" + std::string(name) + "` is not an array");
  }
  std::vector<Item> items;
  for (simdjson::dom::element element : array) items.push_back(read_item(element));
  return items;
}

Item as_stored(Item item) {
  item.is_deleted = item.is_deleted.value_or(false);
  return item;
}

std::vector<Item> as_stored_sorted(std::vector<Item> items) {
  for (Item& item : items) item = as_stored(std::move(item));
  std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) { return a.key < b.key; });
  return items;
}

std::vector<std::string> keys_of(const std::vector<Item>& items) {
  std::vector<std::string> keys;
  for (const Item& item : items) keys.push_back(item.key);
  return keys;
}

ApiClient::ApiClient(std::uint16_t port, std::string token, std::string instance_id)
    : http_("127.0.0.1", port), token_(std::move(token)), instance_id_(std::move(instance_id)) {}

ApiResponse ApiClient::call(std::string_view method, std::string_view path, std::string_view body,
                            const Headers& extra_headers) {
  Headers headers = {{"Content-Type", "application/json"}};
  if (!token_.empty()) headers.emplace_back("X-Onekey-Request-Token", token_);
  if (!instance_id_.empty()) headers.emplace_back("x-onekey-instance-id", instance_id_);
  headers.insert(headers.end(), extra_headers.begin(), extra_headers.end());
  return parse_envelope(http_.request(method, path, body, headers));
}

std::vector<Item> ApiClient::download_all(std::string_view pwd_hash, bool include_deleted) {
  ApiResponse response =
      download(DownloadQuery{std::string(pwd_hash), include_deleted, {}, {}, {}, {}});
  if (!is_ok(response)) throw std::runtime_error("download failed: " + response.describe());
  return get_items(response.data, "serverData");
}

std::int64_t ApiClient::nonce() {
  ApiResponse response = user_info();
  if (!is_ok(response)) throw std::runtime_error("user info failed: " + response.describe());
  return get_int(response.data, "nonce");
}

}  // namespace primesync::e2e
