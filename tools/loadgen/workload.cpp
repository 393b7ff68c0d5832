#include "workload.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace primesync::loadgen {
namespace {

constexpr char kHex[] = "0123456789abcdef";

std::uint64_t splitmix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

void append_base64url(std::string& out, const unsigned char* data, std::size_t n) {
  static constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::size_t i = 0;
  for (; i + 2 < n; i += 3) {
    const std::uint32_t v = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    out += kB64[(v >> 18) & 63];
    out += kB64[(v >> 12) & 63];
    out += kB64[(v >> 6) & 63];
    out += kB64[v & 63];
  }
  if (i + 1 == n) {
    const std::uint32_t v = data[i] << 16;
    out += kB64[(v >> 18) & 63];
    out += kB64[(v >> 12) & 63];
  } else if (i + 2 == n) {
    const std::uint32_t v = (data[i] << 16) | (data[i + 1] << 8);
    out += kB64[(v >> 18) & 63];
    out += kB64[(v >> 12) & 63];
    out += kB64[(v >> 6) & 63];
  }
}

// Weights per data type: the midpoints of WORKLOAD.md's per-type ranges for a
// typical user (Wallet 1-4, IndexedAccount 2-15, Account 0-5, BrowserBookmark
// 0-15, MarketWatchList 3-30, CustomToken 0-20, AddressBook 0-10, CustomRpc and
// CustomNetwork 0-2 each).
constexpr double kTypeWeights[] = {2.5, 8.5, 2.5, 7.5, 16.5, 10.0, 5.0, 1.0, 1.0};

}  // namespace

std::string_view data_type_name(DataType t) {
  switch (t) {
    case DataType::Wallet:
      return "Wallet";
    case DataType::IndexedAccount:
      return "IndexedAccount";
    case DataType::Account:
      return "Account";
    case DataType::BrowserBookmark:
      return "BrowserBookmark";
    case DataType::MarketWatchList:
      return "MarketWatchList";
    case DataType::CustomToken:
      return "CustomToken";
    case DataType::AddressBook:
      return "AddressBook";
    case DataType::CustomRpc:
      return "CustomRpc";
    case DataType::CustomNetwork:
      return "CustomNetwork";
    case DataType::kCount:
      break;
  }
  return "Unknown";
}

Digest derive_key(std::string_view data_type, std::string_view raw_key) {
  std::string input;
  input.reserve(data_type.size() + raw_key.size() + 4);
  input.append(data_type).append(" >> ").append(raw_key);
  Digest d{};
  SHA512(reinterpret_cast<const unsigned char*>(input.data()), input.size(), d.data());
  return d;
}

void append_hex(std::string& out, const std::uint8_t* bytes, std::size_t n) {
  const std::size_t at = out.size();
  out.resize(at + 2 * n);
  char* p = out.data() + at;
  for (std::size_t i = 0; i < n; ++i) {
    p[2 * i] = kHex[bytes[i] >> 4];
    p[2 * i + 1] = kHex[bytes[i] & 15];
  }
}

bool parse_hex_digest(std::string_view hex, Digest& out) {
  if (hex.size() != 128) return false;
  auto nib = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < 64; ++i) {
    const int hi = nib(hex[2 * i]), lo = nib(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return true;
}

Workload::Workload(WorkloadParams params, std::string jwt_secret)
    : p_(std::move(params)), secret_(std::move(jwt_secret)) {
  std::mt19937_64 rng(p_.population_seed ^ 0x5eedULL);
  random_hex_.resize(1 << 20);
  for (auto& c : random_hex_) c = kHex[rng() & 15];
  double total = 0;
  for (double w : kTypeWeights) total += w;
  double acc = 0;
  for (int i = 0; i < static_cast<int>(DataType::kCount); ++i) {
    acc += kTypeWeights[i] / total;
    type_cdf_[i] = acc;
  }
  type_cdf_.back() = 1.0;
}

std::uint64_t Workload::h(std::uint64_t a, std::uint64_t b, std::uint64_t c) const {
  return splitmix(splitmix(splitmix(p_.population_seed ^ a) ^ b) ^ c);
}

User Workload::make_user(std::uint32_t id) const {
  User u;
  u.id = id;
  const double r = double(h(id, 1) >> 11) * 0x1.0p-53;
  u.heavy = r < p_.heavy_fraction;
  const std::uint64_t x = h(id, 2);
  int items;
  if (p_.fixed_items > 0) {
    items = p_.fixed_items;
  } else if (u.heavy) {
    items = p_.heavy_min + int(x % std::uint64_t(p_.heavy_max - p_.heavy_min + 1));
  } else if ((x >> 40) & 1) {
    items = p_.typical_min + int(x % std::uint64_t(p_.typical_median - p_.typical_min + 1));
  } else {
    items = p_.typical_median + int(x % std::uint64_t(p_.typical_max - p_.typical_median + 1));
  }
  u.items = static_cast<std::uint16_t>(std::clamp(items, 1, 65535));
  const std::uint64_t y = h(id, 3);
  u.devices = static_cast<std::uint8_t>(
      u.heavy ? p_.heavy_devices_min +
                    int(y % std::uint64_t(p_.heavy_devices_max - p_.heavy_devices_min + 1))
              : p_.typical_devices_min +
                    int(y % std::uint64_t(p_.typical_devices_max - p_.typical_devices_min + 1)));
  return u;
}

DataType Workload::item_type(std::uint32_t user, int index) const {
  const double r = double(h(user, 4, std::uint64_t(index)) >> 11) * 0x1.0p-53;
  for (int i = 0; i < static_cast<int>(DataType::kCount); ++i)
    if (r < type_cdf_[i]) return static_cast<DataType>(i);
  return DataType::MarketWatchList;
}

int Workload::item_data_len(std::uint32_t user, int index, std::uint64_t salt) const {
  const int max = item_type(user, index) == DataType::CustomNetwork
                      ? std::max(p_.custom_network_max, p_.data_max)
                      : p_.data_max;
  const int span = std::max(0, max - p_.data_min);
  const int len =
      p_.data_min + int(h(user, 5 + salt, std::uint64_t(index)) % std::uint64_t(span + 1));
  return len & ~1;
}

void Workload::materialize(User& u) const {
  if (!u.keys.empty()) return;
  u.keys.resize(u.items);
  u.ts.resize(u.items);
  u.acked.assign(u.items, 0);
  const std::string name = user_name(u.id);
  std::string raw;
  for (int i = 0; i < u.items; ++i) {
    const DataType t = item_type(u.id, i);
    raw.assign(name).append("/").append(std::to_string(i));
    u.keys[i] = derive_key(data_type_name(t), raw);
    const std::uint64_t x = h(u.id, 6, std::uint64_t(i));
    // New wallets with a default name carry 144000000.
    u.ts[i] = (t == DataType::Wallet && (x & 3) == 0)
                  ? 144000000
                  : 1700000000000LL + std::int64_t(x % 10000000000ULL);
  }
}

std::string Workload::user_name(std::uint32_t id) const {
  return p_.user_prefix + "-" + std::to_string(id);
}

std::string Workload::pwd_hash(std::uint32_t id) const {
  // A UUID-shaped id of the user's master password, fixed per user.
  const std::uint64_t a = h(id, 7), b = h(id, 8);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-a%03x-%012llx", unsigned(a >> 32),
                unsigned(a >> 16) & 0xffffU, unsigned(a) & 0xfffU, unsigned(b >> 52) & 0xfffU,
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

std::string Workload::device_id(std::uint32_t id, int device) const {
  const std::uint64_t a = h(id, 9, std::uint64_t(device)), b = h(id, 10, std::uint64_t(device));
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-b%03x-%012llx", unsigned(a >> 32),
                unsigned(a >> 16) & 0xffffU, unsigned(a) & 0xfffU, unsigned(b >> 52) & 0xfffU,
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

std::string Workload::token(std::uint32_t id, std::int64_t now_s) const {
  static const std::string kHeader = [] {
    std::string s;
    const std::string_view h = R"({"alg":"HS256","typ":"JWT"})";
    append_base64url(s, reinterpret_cast<const unsigned char*>(h.data()), h.size());
    return s;
  }();
  std::string payload = R"({"sub":")" + user_name(id) + R"(","iat":)" + std::to_string(now_s) +
                        R"(,"exp":)" + std::to_string(now_s + p_.jwt_ttl_seconds) +
                        R"(,"prime":true})";
  std::string tok = kHeader;
  tok += '.';
  append_base64url(tok, reinterpret_cast<const unsigned char*>(payload.data()), payload.size());
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
       reinterpret_cast<const unsigned char*>(tok.data()), tok.size(), mac, &mac_len);
  tok += '.';
  append_base64url(tok, mac, mac_len);
  return tok;
}

void Workload::check_body(User& u, std::string& out) const {
  materialize(u);
  out.clear();
  out.reserve(64 + std::size_t(u.items) * 200);
  out += R"({"localData":[)";
  for (int i = 0; i < u.items; ++i) {
    if (i) out += ',';
    out += R"({"key":")";
    append_hex(out, u.keys[i].data(), 64);
    out += R"(","dataType":")";
    out += data_type_name(item_type(u.id, i));
    out += R"(","dataTimestamp":)";
    out += std::to_string(u.ts[i]);
    out += '}';
  }
  out += R"(],"pwdHash":")";
  out += pwd_hash(u.id);
  out += R"(","nonce":0})";
}

void Workload::append_item(std::string& out, const User& u, int index, std::int64_t ts,
                           std::mt19937_64& rng, std::uint64_t salt) const {
  const int len = item_data_len(u.id, index, salt);
  const std::size_t off = rng() % (random_hex_.size() - std::size_t(len));
  out += R"({"key":")";
  append_hex(out, u.keys[index].data(), 64);
  out += R"(","dataType":")";
  out += data_type_name(item_type(u.id, index));
  out += R"(","data":")";
  out.append(random_hex_, off, std::size_t(len));
  out += R"(","dataTimestamp":)";
  out += std::to_string(ts);
  out += R"(,"isDeleted":false})";
}

void Workload::upload_body(User& u, std::int64_t now_ms, std::mt19937_64& rng, std::string& out,
                           std::vector<std::pair<int, std::int64_t>>& picked) const {
  materialize(u);
  picked.clear();
  const int n = std::min<int>(
      u.items, p_.upload_min + int(rng() % std::uint64_t(p_.upload_max - p_.upload_min + 1)));
  // An edit burst touches neighbouring items; distinct indexes.
  const int start = int(rng() % u.items);
  out.clear();
  out.reserve(64 + std::size_t(n) * 2200);
  out += R"({"localData":[)";
  for (int k = 0; k < n; ++k) {
    const int idx = (start + k) % u.items;
    const std::int64_t ts = std::max(now_ms, u.last_ts + 1);
    u.last_ts = ts;
    u.ts[idx] = ts;
    picked.emplace_back(idx, ts);
    if (k) out += ',';
    append_item(out, u, idx, ts, rng, rng() & 7);
  }
  out += R"(],"pwdHash":")";
  out += pwd_hash(u.id);
  out += R"(","nonce":0})";
}

void Workload::download_body(const User& u, std::string& out, std::string_view after) const {
  out.clear();
  out += R"({"pwdHash":")";
  out += pwd_hash(u.id);
  out += '"';
  if (!after.empty()) {
    out += R"(,"after":")";
    out += after;
    out += '"';
  }
  out += '}';
}

void Workload::flush_body(User& u, std::int64_t now_ms, std::mt19937_64& rng,
                          std::string& out) const {
  materialize(u);
  out.clear();
  out.reserve(256 + std::size_t(u.items) * 2000);
  out += R"({"localData":[)";
  for (int i = 0; i < u.items; ++i) {
    if (i) out += ',';
    append_item(out, u, i, u.ts[i], rng, 0);
  }
  out += R"(],"pwdHash":")";
  out += pwd_hash(u.id);
  out += R"(","nonce":0,"lock":{"key":")";
  static const Digest kLockKey = derive_key("Lock", "lock");
  append_hex(out, kLockKey.data(), 64);
  out += R"(","dataType":"Lock","data":")";
  out.append(random_hex_, rng() % (random_hex_.size() - 512), 512);
  out += R"(","dataTimestamp":)";
  out += std::to_string(now_ms);
  out += R"(,"isDeleted":false}})";
}

}  // namespace primesync::loadgen
