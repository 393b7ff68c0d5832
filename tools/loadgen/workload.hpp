// The simulated population of WORKLOAD.md: users, their items and devices, and
// the request bodies a OneKey client would send. No sockets here (main.cpp owns
// them), so this file compiles quickly and is easy to reason about.
//
// Every attribute of an item that a client would keep between runs (its data
// type, its key, its size, its first timestamp) is a pure function of
// (population seed, user id, item index): a seeding run and a later load run in
// another process agree on what each user holds without sharing any file.
#pragma once

#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace primesync::loadgen {

// The figures of WORKLOAD.md, as parameters.
struct WorkloadParams {
  std::string user_prefix = "lg";
  std::uint64_t population_seed = 42;
  double heavy_fraction = 0.02;
  // Items per user. typical: half uniform in [min, median], half in [median, max].
  int typical_min = 15, typical_median = 40, typical_max = 80;
  int heavy_min = 500, heavy_max = 2000;
  int fixed_items = 0;  // > 0: every user has exactly this many (scale tests)
  // Hex characters of `data`.
  int data_min = 480, data_max = 1700, custom_network_max = 4000;
  // Devices per user.
  int typical_devices_min = 1, typical_devices_max = 3;
  int heavy_devices_min = 3, heavy_devices_max = 5;
  // Items per upload.
  int upload_min = 1, upload_max = 5;
  std::int64_t jwt_ttl_seconds = 3600;
};

enum class DataType : std::uint8_t {
  Wallet,
  IndexedAccount,
  Account,
  BrowserBookmark,
  MarketWatchList,
  CustomToken,
  AddressBook,
  CustomRpc,
  CustomNetwork,
  kCount
};
std::string_view data_type_name(DataType t);

using Digest = std::array<std::uint8_t, 64>;

// SHA-512 of "<dataType> >> <rawKey>" (OpenSSL).
Digest derive_key(std::string_view data_type, std::string_view raw_key);
void append_hex(std::string& out, const std::uint8_t* bytes, std::size_t n);
bool parse_hex_digest(std::string_view hex, Digest& out);

// A user as the simulated client sees it. Vectors are filled on first use only,
// so a population of 100,000 users costs a few MB until it is touched.
struct User {
  std::uint32_t id = 0;
  std::uint16_t items = 0;
  std::uint8_t devices = 1;
  bool heavy = false;
  bool flushing = false;            // a flush is in flight: nothing else may start
  std::uint16_t inflight = 0;       // requests in flight
  std::int64_t last_ts = 0;         // last dataTimestamp this client assigned
  std::vector<Digest> keys;         // lazily derived
  std::vector<std::int64_t> ts;     // the client's view of each item
  std::vector<std::int64_t> acked;  // newest acknowledged timestamp per item (0: none)
  bool touched = false;             // any acknowledged write
  std::string token;                // reused until shortly before it expires, like the app
  std::int64_t token_renew_at = 0;  // seconds since the epoch
};

class Workload {
 public:
  Workload(WorkloadParams params, std::string jwt_secret);

  const WorkloadParams& params() const { return p_; }

  // Builds the user with the given id (deterministic).
  User make_user(std::uint32_t id) const;
  void materialize(User& u) const;  // keys and timestamps
  std::string user_name(std::uint32_t id) const;
  std::string pwd_hash(std::uint32_t id) const;
  std::string device_id(std::uint32_t id, int device) const;
  std::string token(std::uint32_t id, std::int64_t now_s) const;
  DataType item_type(std::uint32_t user, int index) const;
  int item_data_len(std::uint32_t user, int index, std::uint64_t salt) const;

  // Request bodies. `rng` picks sizes and data offsets.
  void check_body(User& u, std::string& out) const;
  // Picks 1..5 items, assigns them fresh timestamps (>= now, > any earlier one of
  // this user) and fills `picked` with (index, timestamp).
  void upload_body(User& u, std::int64_t now_ms, std::mt19937_64& rng, std::string& out,
                   std::vector<std::pair<int, std::int64_t>>& picked) const;
  void download_body(const User& u, std::string& out, std::string_view after) const;
  void flush_body(User& u, std::int64_t now_ms, std::mt19937_64& rng, std::string& out) const;

 private:
  void append_item(std::string& out, const User& u, int index, std::int64_t ts,
                   std::mt19937_64& rng, std::uint64_t salt) const;
  std::uint64_t h(std::uint64_t a, std::uint64_t b, std::uint64_t c = 0) const;

  WorkloadParams p_;
  std::string secret_;
  std::string random_hex_;  // data is cut from here at random offsets
  std::array<double, static_cast<int>(DataType::kCount)> type_cdf_{};
};

}  // namespace primesync::loadgen
