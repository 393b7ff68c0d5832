// The typed configuration. Defaults here are the documented defaults; the loader
// (TOML file, then environment) validates every value at start-up.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace primesync {

struct ServerConfig {
  std::string listen = "0.0.0.0:8080";
  unsigned threads = 0;                               // 0: one per core
  std::size_t body_limit = 32U << 20U;                // bytes; larger bodies get 413
  std::chrono::milliseconds read_timeout{30000};      // to read one request once it started
  std::chrono::milliseconds idle_timeout{60000};      // keep-alive idle before closing
  std::chrono::milliseconds shutdown_timeout{10000};  // grace for in-flight requests
};

struct AuthConfig {
  std::string jwt_secret;  // required (or PRIMESYNC_JWT_SECRET)
  std::chrono::seconds leeway{60};
  bool default_prime = true;                // isPrime when the token has no `prime` claim
  bool require_prime = true;                // sync paths answer 90005 for non-Prime users
  std::size_t token_cache_entries = 65536;  // verified tokens remembered; 0 turns it off
};

struct LimitsConfig {
  std::size_t max_items_per_request = 10000;
  std::size_t max_item_bytes = 256U << 10U;  // one item's `data`
  std::size_t max_page_size = 10000;         // download page cap
  std::size_t max_devices = 32;
  std::size_t max_message_bytes = 1U << 20U;        // one notification message
  std::chrono::seconds device_seen_resolution{60};  // last-seen persisted at most this often
};

struct CacheConfig {
  bool enabled = true;                  // sync.enableCache
  std::string prefix = "primesync:";    // sync.cachePrefix
  std::chrono::seconds ttl{3600};       // sync.cacheTTL
  std::size_t max_bytes = 256U << 20U;  // sync.cacheMaxBytes
};

struct QueueConfig {
  unsigned shards = 0;                  // 0: one per core
  std::size_t capacity = 4096;          // queued operations per shard; full → 50300
  std::size_t max_batch = 256;          // operations committed together
  std::chrono::microseconds linger{0};  // wait for more work before committing
  std::chrono::seconds retry_after{1};  // Retry-After on 50300
};

struct RocksDbConfig {
  std::string path = "./data";
  bool sync_wal = true;  // acknowledged writes survive power loss
  std::size_t block_cache_bytes = 64U << 20U;
  std::size_t write_buffer_bytes = 256U << 20U;  // memtables of all column families together
};

struct OutboxConfig {
  std::size_t batch = 512;
  std::chrono::milliseconds retry_initial{100};
  std::chrono::milliseconds retry_max{30000};
  std::chrono::seconds max_age{86400};  // undelivered older than this is dropped (counted)
  std::chrono::seconds history_retention{30 * 86400};
};

struct LogConfig {
  std::string level = "info";  // trace, debug, info, warn, error, off
  bool access_log = true;      // one JSON line per request
};

struct Config {
  ServerConfig server;
  AuthConfig auth;
  LimitsConfig limits;
  CacheConfig cache;
  QueueConfig queue;
  std::string store = "rocksdb";  // sync.adapters.store
  RocksDbConfig rocksdb;
  OutboxConfig outbox;
  LogConfig log;
};

}  // namespace primesync
