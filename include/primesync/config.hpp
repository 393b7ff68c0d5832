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
  unsigned threads = 0;                 // 0: one per core
  std::size_t body_limit = 32U << 20U;  // bytes; larger bodies get 413
  // A connection's first read of a request asks for this much, so that a typical
  // request (a 40-item check is ~8 KiB) arrives in one system call.
  std::size_t read_buffer_bytes = 16U << 10U;
  std::chrono::milliseconds read_timeout{30000};      // to read one request once it started
  std::chrono::milliseconds idle_timeout{60000};      // keep-alive idle before closing
  std::chrono::milliseconds shutdown_timeout{10000};  // grace for in-flight requests
  // Open at once, push devices' sockets included (push.maxConnections of them at
  // most); more are closed at accept.
  std::size_t max_connections = 60000;
};

struct AuthConfig {
  std::string jwt_secret;  // required (or PRIMESYNC_JWT_SECRET)
  std::chrono::seconds leeway{60};
  bool default_prime = true;                // isPrime when the token has no `prime` claim
  bool require_prime = true;                // sync paths answer 90005 for non-Prime users
  std::size_t token_cache_entries = 65536;  // verified tokens remembered; 0 turns it off
  std::size_t max_token_bytes = 8192;       // longer tokens are refused (90002) unread
};

// The admin endpoint (README "Operator tooling").
struct AdminConfig {
  std::string token;  // Bearer token of /admin/v1/*; "" = the endpoint is off (404)
};

struct LimitsConfig {
  std::size_t max_items_per_request = 10000;
  std::size_t max_item_bytes = 256U << 10U;  // one item's `data`
  std::size_t max_page_size = 10000;         // download page cap
  std::size_t max_devices = 32;
  std::size_t max_message_bytes = 1U << 20U;        // one notification message
  std::chrono::seconds device_seen_resolution{60};  // last-seen persisted at most this often
  // Token buckets (42900 when empty); a rate of 0 turns one off.
  std::size_t user_requests_per_second =
      100;  // one user, all devices; a device sends a few a minute
  std::size_t user_burst = 200;
  std::size_t instance_requests_per_second = 0;  // the whole server
  std::size_t instance_burst = 1000;
  std::size_t rate_limited_users = 100000;  // user buckets held (idle ones are dropped)
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
  std::size_t conflict_retries = 8;     // re-plans after another instance's write, then 50300
};

struct RocksDbConfig {
  std::string path = "./data";
  bool sync_wal = true;  // acknowledged writes survive power loss
  std::size_t block_cache_bytes = 64U << 20U;
  std::size_t write_buffer_bytes = 256U << 20U;  // memtables of all column families together
};

// sync.adapters.mongodb: the store on a MongoDB (or compatible) deployment.
struct MongoDbConfig {
  std::string uri;  // required when the store is mongodb
  std::string database = "primesync";
  std::size_t pool_size = 16;                       // connections kept open
  std::string write_concern = "majority";           // "majority" or a number of members
  bool journal = true;                              // acknowledged only once in the journal
  std::chrono::milliseconds timeout{5000};          // a whole operation (server selection too)
  std::chrono::milliseconds connect_timeout{2000};  // opening one connection
  std::size_t bulk_statements = 32;                 // update statements in flight per process
  std::string instance_id;       // owner of this process's outbox entries; "" = host name
  bool revalidate_reads = true;  // confirm a cached state's revision before a read answers
  std::chrono::seconds intent_timeout{
      30};  // another instance's unfinished write is completed after
};

// sync.adapters.kafka: the notifier that publishes every change to a topic.
struct KafkaConfig {
  std::string brokers;  // "" = no Kafka notifier
  std::string topic = "prime-notification";
  std::string compression = "lz4";                    // none, gzip, snappy, lz4, zstd
  std::chrono::milliseconds delivery_timeout{10000};  // one delivery attempt, then retried
  std::size_t queue_messages = 100000;                // producer's local queue
  std::chrono::milliseconds linger{5};                // librdkafka batching
  std::string client_id = "primesync";
};

struct OutboxConfig {
  std::size_t batch = 512;
  std::chrono::milliseconds retry_initial{100};
  std::chrono::milliseconds retry_max{30000};
  std::chrono::seconds max_age{86400};  // undelivered older than this is dropped (counted)
  std::chrono::seconds history_retention{30 * 86400};
};

// The socket.io endpoint the app's devices keep open for live notifications.
struct PushConfig {
  bool enabled = true;
  bool require_token = false;                        // the real app sends no token on the socket
  std::chrono::milliseconds ping_interval{25000};    // Engine.IO heartbeat
  std::chrono::milliseconds ping_timeout{20000};     // no pong within this: closed
  std::chrono::milliseconds connect_timeout{45000};  // socket.io CONNECT must come within
  std::chrono::milliseconds ack_timeout{10000};      // an unacknowledged push is sent again
  std::size_t max_retries = 3;                       // resends of one push, then given up
  std::size_t max_connections = 50000;               // devices connected to this instance
  std::size_t send_queue_messages = 256;             // per device; more: slow consumer, closed
  std::size_t max_payload_bytes = 65536;             // one packet from a device
  std::string consumer_group;  // Kafka group of this instance; "" = primesync-push-<host>-<port>
};

struct LogConfig {
  std::string level = "info";  // trace, debug, info, warn, error, off
  bool access_log = true;      // one JSON line per request
};

struct Config {
  ServerConfig server;
  AuthConfig auth;
  AdminConfig admin;
  LimitsConfig limits;
  CacheConfig cache;
  QueueConfig queue;
  std::string store = "rocksdb";  // sync.adapters.store: rocksdb or mongodb
  RocksDbConfig rocksdb;
  MongoDbConfig mongodb;
  KafkaConfig kafka;
  OutboxConfig outbox;
  PushConfig push;
  LogConfig log;
};

}  // namespace primesync
