#include "app/config_loader.hpp"

#include <toml++/toml.h>

#include <charconv>
#include <cstdlib>
#include <functional>
#include <sstream>
#include <string_view>
#include <vector>

namespace primesync::app {
namespace {

constexpr std::string_view env_prefix = "PRIMESYNC_";
constexpr std::string_view secret_env = "PRIMESYNC_JWT_SECRET";
constexpr std::int64_t unlimited = std::numeric_limits<std::int64_t>::max();
// A shorter admin token could be guessed: the endpoint can delete any user.
constexpr std::size_t min_admin_token_bytes = 16;

// One key: how to read it from TOML or text, how to print it.
struct Setting {
  std::string path;  // "server.listen"
  std::string help;
  bool secret = false;
  std::function<void(Config&, const toml::node&)> from_toml;
  std::function<void(Config&, std::string_view)> from_text;
  std::function<std::string(const Config&)> print;
};

[[noreturn]] void bad_value(const std::string& path, std::string_view why) {
  throw ConfigError(path + ": " + std::string(why));
}

std::int64_t check_range(const std::string& path, std::int64_t value, std::int64_t min,
                         std::int64_t max) {
  if (value < min || value > max) {
    bad_value(path, "must be between " + std::to_string(min) + " and " + std::to_string(max));
  }
  return value;
}

std::int64_t parse_integer(const std::string& path, std::string_view text) {
  std::int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size()) bad_value(path, "expected integer");
  return value;
}

bool parse_bool(const std::string& path, std::string_view text) {
  if (text == "true" || text == "1") return true;
  if (text == "false" || text == "0") return false;
  bad_value(path, "expected true or false");
}

// Binds an integer-like field (counts, sizes, durations) to a key.
template <typename Field>
Setting integer(std::string path, std::string help, Field Config::*section, std::int64_t min,
                std::int64_t max, auto&& member) {
  auto set = [=](Config& config, std::int64_t value) {
    auto& field = (config.*section).*member;
    using T = std::remove_reference_t<decltype(field)>;
    if constexpr (requires { typename T::rep; }) {
      field = T{value};
    } else {
      field = static_cast<T>(value);
    }
  };
  auto get = [=](const Config& config) -> std::int64_t {
    const auto& field = (config.*section).*member;
    using T = std::remove_cvref_t<decltype(field)>;
    if constexpr (requires { typename T::rep; }) {
      return static_cast<std::int64_t>(field.count());
    } else {
      return static_cast<std::int64_t>(field);
    }
  };
  return Setting{path,
                 std::move(help),
                 false,
                 [=](Config& config, const toml::node& node) {
                   auto value = node.value<std::int64_t>();
                   if (!node.is_integer() || !value) bad_value(path, "expected integer");
                   set(config, check_range(path, *value, min, max));
                 },
                 [=](Config& config, std::string_view text) {
                   set(config, check_range(path, parse_integer(path, text), min, max));
                 },
                 [=](const Config& config) { return std::to_string(get(config)); }};
}

template <typename Section>
Setting boolean(std::string path, std::string help, Section Config::*section,
                bool Section::*member) {
  return Setting{path,
                 std::move(help),
                 false,
                 [=](Config& config, const toml::node& node) {
                   if (!node.is_boolean()) bad_value(path, "expected true or false");
                   (config.*section).*member = *node.value<bool>();
                 },
                 [=](Config& config, std::string_view text) {
                   (config.*section).*member = parse_bool(path, text);
                 },
                 [=](const Config& config) {
                   return std::string((config.*section).*member ? "true" : "false");
                 }};
}

Setting text(std::string path, std::string help, std::function<std::string&(Config&)> field,
             bool secret = false, std::function<void(const std::string&)> check = {}) {
  auto assign = [=](Config& config, std::string value) {
    if (check) check(value);
    field(config) = std::move(value);
  };
  return Setting{
      path,
      std::move(help),
      secret,
      [=](Config& config, const toml::node& node) {
        if (!node.is_string()) bad_value(path, "expected string");
        assign(config, *node.value<std::string>());
      },
      [=](Config& config, std::string_view value) { assign(config, std::string(value)); },
      [=](const Config& config) {
        const std::string& value = field(const_cast<Config&>(config));
        return secret && !value.empty() ? std::string("\"***\"") : '"' + value + '"';
      }};
}

// A text key that takes one of a fixed set of values.
Setting choice(std::string path, std::string help, std::function<std::string&(Config&)> field,
               std::vector<std::string> values) {
  std::string listed;
  for (const std::string& value : values) listed += (listed.empty() ? "" : ", ") + value;
  return text(std::move(path), std::move(help), std::move(field), false,
              [path, values = std::move(values), listed](const std::string& value) {
                if (std::find(values.begin(), values.end(), value) == values.end()) {
                  bad_value(path, "must be one of " + listed);
                }
              });
}

std::string env_name(std::string_view path) {
  std::string name(env_prefix);
  for (char c : path) {
    name.push_back(c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return name;
}

const std::vector<Setting>& settings() {
  static const std::vector<Setting> table = [] {
    std::vector<Setting> s;
    using C = Config;
    s.push_back(text("server.listen", "address and port to listen on (HOST:PORT)",
                     [](C& c) -> std::string& { return c.server.listen; }));
    s.push_back(integer("server.threads", "I/O threads; 0 = one per core", &C::server, 0, 1024,
                        &ServerConfig::threads));
    s.push_back(integer("server.bodyLimit", "largest request body in bytes (413 above)", &C::server,
                        1024, std::int64_t{1} << 32, &ServerConfig::body_limit));
    s.push_back(integer("server.readBufferBytes",
                        "bytes a connection reads at once while a request starts (each open "
                        "connection keeps a buffer this size)",
                        &C::server, 1024, 1 << 24, &ServerConfig::read_buffer_bytes));
    s.push_back(integer("server.readTimeoutMs", "time to read one request", &C::server, 1,
                        unlimited, &ServerConfig::read_timeout));
    s.push_back(integer("server.idleTimeoutMs", "keep-alive idle time before closing", &C::server,
                        1, unlimited, &ServerConfig::idle_timeout));
    s.push_back(integer("server.shutdownTimeoutMs", "grace for in-flight work on shutdown",
                        &C::server, 0, unlimited, &ServerConfig::shutdown_timeout));
    s.push_back(integer(
        "server.maxConnections",
        "connections open at once, push devices' included; more are closed at accept (counted)",
        &C::server, 1, 10000000, &ServerConfig::max_connections));
    s.push_back(text(
        "auth.jwtSecret", "HS256 secret of access tokens (required)",
        [](C& c) -> std::string& { return c.auth.jwt_secret; }, true));
    s.push_back(integer("auth.leewaySeconds", "clock leeway for exp and nbf", &C::auth, 0, 3600,
                        &AuthConfig::leeway));
    s.push_back(boolean("auth.defaultPrime", "isPrime when a token has no prime claim", &C::auth,
                        &AuthConfig::default_prime));
    s.push_back(boolean("auth.requirePrime", "sync paths answer 90005 for non-Prime users",
                        &C::auth, &AuthConfig::require_prime));
    s.push_back(integer("auth.tokenCacheEntries", "verified tokens remembered; 0 = off", &C::auth,
                        0, 100000000, &AuthConfig::token_cache_entries));
    s.push_back(integer("auth.maxTokenBytes", "longest access token accepted (90002 above)",
                        &C::auth, 256, 16384, &AuthConfig::max_token_bytes));
    s.push_back(text(
        "admin.token",
        "Bearer token of the admin endpoint /admin/v1/ (at least 16 bytes); empty = off (404)",
        [](C& c) -> std::string& { return c.admin.token; }, true,
        [](const std::string& value) {
          if (!value.empty() && value.size() < min_admin_token_bytes) {
            bad_value("admin.token", "must be empty (off) or at least " +
                                         std::to_string(min_admin_token_bytes) + " bytes");
          }
        }));
    s.push_back(integer("limits.maxItemsPerRequest", "items in one request (41300 above)",
                        &C::limits, 1, 1000000, &LimitsConfig::max_items_per_request));
    s.push_back(integer("limits.maxItemBytes", "bytes of one item's data", &C::limits, 1,
                        std::int64_t{1} << 30, &LimitsConfig::max_item_bytes));
    s.push_back(integer("limits.maxPageSize", "items in one download page", &C::limits, 1, 1000000,
                        &LimitsConfig::max_page_size));
    s.push_back(integer("limits.maxDevices", "devices per user (90004 above)", &C::limits, 1,
                        100000, &LimitsConfig::max_devices));
    s.push_back(integer("limits.maxMessageBytes", "bytes of one notification message", &C::limits,
                        1024, std::int64_t{1} << 30, &LimitsConfig::max_message_bytes));
    s.push_back(integer("limits.deviceSeenResolutionSeconds",
                        "a device's last-seen time is written at most this often", &C::limits, 0,
                        86400, &LimitsConfig::device_seen_resolution));
    s.push_back(integer("limits.userRequestsPerSecond",
                        "requests a second one user may send (42900 above); 0 = off", &C::limits, 0,
                        1000000, &LimitsConfig::user_requests_per_second));
    s.push_back(integer("limits.userBurst", "requests one user may send at once", &C::limits, 1,
                        10000000, &LimitsConfig::user_burst));
    s.push_back(integer("limits.instanceRequestsPerSecond",
                        "requests a second this server takes in (42900 above); 0 = off", &C::limits,
                        0, 100000000, &LimitsConfig::instance_requests_per_second));
    s.push_back(integer("limits.instanceBurst", "requests this server takes in at once", &C::limits,
                        1, 100000000, &LimitsConfig::instance_burst));
    s.push_back(integer("limits.rateLimitedUsers", "users whose request rate is tracked at once",
                        &C::limits, 64, 100000000, &LimitsConfig::rate_limited_users));
    s.push_back(boolean("sync.enableCache", "keep users' state in memory", &C::cache,
                        &CacheConfig::enabled));
    s.push_back(text("sync.cachePrefix", "prefix of cache keys",
                     [](C& c) -> std::string& { return c.cache.prefix; }));
    s.push_back(integer("sync.cacheTTL", "seconds a cached state lives", &C::cache, 1,
                        unlimited / 1000, &CacheConfig::ttl));
    s.push_back(integer("sync.cacheMaxBytes", "bytes the cache may hold", &C::cache, 0,
                        std::int64_t{1} << 40, &CacheConfig::max_bytes));
    s.push_back(choice("sync.adapters.store", "the store: rocksdb (embedded) or mongodb",
                       [](C& c) -> std::string& { return c.store; }, {"rocksdb", "mongodb"}));
    s.push_back(text("sync.adapters.rocksdb.path", "data directory of the embedded store",
                     [](C& c) -> std::string& { return c.rocksdb.path; }));
    s.push_back(boolean("sync.adapters.rocksdb.syncWal",
                        "sync the WAL before acknowledging a write", &C::rocksdb,
                        &RocksDbConfig::sync_wal));
    s.push_back(integer("sync.adapters.rocksdb.blockCacheBytes", "RocksDB block cache", &C::rocksdb,
                        0, std::int64_t{1} << 40, &RocksDbConfig::block_cache_bytes));
    s.push_back(integer("sync.adapters.rocksdb.writeBufferBytes",
                        "RocksDB memtables of all column families together", &C::rocksdb,
                        std::int64_t{1} << 20U, std::int64_t{1} << 40,
                        &RocksDbConfig::write_buffer_bytes));
    s.push_back(text(
        "sync.adapters.mongodb.uri", "MongoDB connection string (required for mongodb)",
        [](C& c) -> std::string& { return c.mongodb.uri; }, true));
    s.push_back(text(
        "sync.adapters.mongodb.database", "database of the mongodb store",
        [](C& c) -> std::string& { return c.mongodb.database; }, false,
        [](const std::string& value) {
          if (value.empty() || value.find_first_of("/\\. \"$") != std::string::npos) {
            bad_value("sync.adapters.mongodb.database",
                      "must be a non-empty name without / \\ . space \" $");
          }
        }));
    s.push_back(integer("sync.adapters.mongodb.poolSize", "connections to MongoDB kept open",
                        &C::mongodb, 1, 10000, &MongoDbConfig::pool_size));
    s.push_back(text(
        "sync.adapters.mongodb.writeConcern", "w of every write: majority or a number of members",
        [](C& c) -> std::string& { return c.mongodb.write_concern; }, false,
        [](const std::string& value) {
          const bool number = !value.empty() && value.size() < 4 &&
                              value.find_first_not_of("0123456789") == std::string::npos;
          if (value != "majority" && !number) {
            bad_value("sync.adapters.mongodb.writeConcern",
                      "must be majority or a number of members");
          }
        }));
    s.push_back(boolean("sync.adapters.mongodb.journal",
                        "acknowledge writes only once they are in the journal", &C::mongodb,
                        &MongoDbConfig::journal));
    s.push_back(integer("sync.adapters.mongodb.timeoutMs",
                        "longest wait for one MongoDB operation (then 50300)", &C::mongodb, 1,
                        3600000, &MongoDbConfig::timeout));
    s.push_back(integer("sync.adapters.mongodb.connectTimeoutMs",
                        "longest wait to open one connection", &C::mongodb, 1, 600000,
                        &MongoDbConfig::connect_timeout));
    s.push_back(
        integer("sync.adapters.mongodb.bulkStatements",
                "update statements in flight at once (FerretDB: all instances together under 100)",
                &C::mongodb, 1, 100000, &MongoDbConfig::bulk_statements));
    s.push_back(text("sync.adapters.mongodb.instanceId",
                     "this instance's name on its outbox entries; empty = host name",
                     [](C& c) -> std::string& { return c.mongodb.instance_id; }));
    s.push_back(boolean("sync.adapters.mongodb.revalidateReads",
                        "confirm a cached state with the database before a read answers from it "
                        "(false: reads may lag other instances by up to sync.cacheTTL)",
                        &C::mongodb, &MongoDbConfig::revalidate_reads));
    s.push_back(integer("sync.adapters.mongodb.intentTimeoutSeconds",
                        "an unfinished write of another instance is completed after this",
                        &C::mongodb, 1, 86400, &MongoDbConfig::intent_timeout));
    s.push_back(text("sync.adapters.kafka.brokers",
                     "Kafka bootstrap servers (host:port,...); empty = no Kafka notifier",
                     [](C& c) -> std::string& { return c.kafka.brokers; }));
    s.push_back(text(
        "sync.adapters.kafka.topic", "topic of the notifications",
        [](C& c) -> std::string& { return c.kafka.topic; }, false,
        [](const std::string& value) {
          if (value.empty() || value.size() > 249 ||
              value.find_first_not_of(
                  "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
                  std::string::npos) {
            bad_value("sync.adapters.kafka.topic", "must be 1 to 249 of a-z A-Z 0-9 . _ -");
          }
        }));
    s.push_back(choice("sync.adapters.kafka.compression", "none, gzip, snappy, lz4 or zstd",
                       [](C& c) -> std::string& { return c.kafka.compression; },
                       {"none", "gzip", "snappy", "lz4", "zstd"}));
    s.push_back(integer("sync.adapters.kafka.deliveryTimeoutMs",
                        "time one delivery may take before it is retried later", &C::kafka, 1000,
                        3600000, &KafkaConfig::delivery_timeout));
    s.push_back(integer("sync.adapters.kafka.queueMessages", "messages the producer holds locally",
                        &C::kafka, 1, 10000000, &KafkaConfig::queue_messages));
    s.push_back(integer("sync.adapters.kafka.lingerMs", "time the producer gathers a batch",
                        &C::kafka, 0, 60000, &KafkaConfig::linger));
    s.push_back(text("sync.adapters.kafka.clientId", "client.id the broker sees",
                     [](C& c) -> std::string& { return c.kafka.client_id; }));
    s.push_back(integer("queue.shards", "store worker threads; 0 = one per core", &C::queue, 0,
                        1024, &QueueConfig::shards));
    s.push_back(integer("queue.capacity", "queued operations per shard (50300 above)", &C::queue, 1,
                        10000000, &QueueConfig::capacity));
    s.push_back(integer("queue.maxBatch", "operations committed together", &C::queue, 1, 100000,
                        &QueueConfig::max_batch));
    s.push_back(integer("queue.lingerMicros", "wait for more operations before a commit", &C::queue,
                        0, 1000000, &QueueConfig::linger));
    s.push_back(integer("queue.conflictRetries",
                        "re-plans of an operation another instance overtook (then 50300)",
                        &C::queue, 0, 1000, &QueueConfig::conflict_retries));
    s.push_back(integer("queue.retryAfterSeconds", "Retry-After on 50300", &C::queue, 1, 3600,
                        &QueueConfig::retry_after));
    s.push_back(integer("outbox.batch", "notifications handed over at once", &C::outbox, 1, 100000,
                        &OutboxConfig::batch));
    s.push_back(integer("outbox.retryInitialMs", "first retry delay", &C::outbox, 1, unlimited,
                        &OutboxConfig::retry_initial));
    s.push_back(integer("outbox.retryMaxMs", "longest retry delay", &C::outbox, 1, unlimited,
                        &OutboxConfig::retry_max));
    s.push_back(integer("outbox.maxAgeSeconds", "undelivered notifications older are dropped",
                        &C::outbox, 1, unlimited / 1000, &OutboxConfig::max_age));
    s.push_back(integer("outbox.historyRetentionSeconds", "how long archived versions are kept",
                        &C::outbox, 1, unlimited / 1000, &OutboxConfig::history_retention));
    s.push_back(boolean("push.enabled", "serve socket.io push connections on /socket.io/", &C::push,
                        &PushConfig::enabled));
    s.push_back(boolean("push.requireToken",
                        "devices must send the user's token (auth.token) on the socket", &C::push,
                        &PushConfig::require_token));
    s.push_back(integer("push.pingIntervalMs", "Engine.IO heartbeat interval", &C::push, 100,
                        3600000, &PushConfig::ping_interval));
    s.push_back(integer("push.pingTimeoutMs",
                        "a device that does not answer a ping within this is "
                        "disconnected",
                        &C::push, 100, 3600000, &PushConfig::ping_timeout));
    s.push_back(integer("push.connectTimeoutMs",
                        "time a new connection has to send its socket.io CONNECT", &C::push, 100,
                        3600000, &PushConfig::connect_timeout));
    s.push_back(integer("push.ackTimeoutMs", "an unacknowledged push is sent again after this",
                        &C::push, 100, 3600000, &PushConfig::ack_timeout));
    s.push_back(integer("push.maxRetries", "resends of one unacknowledged push", &C::push, 0, 1000,
                        &PushConfig::max_retries));
    s.push_back(integer("push.maxConnections", "push connections this instance holds", &C::push, 1,
                        10000000, &PushConfig::max_connections));
    s.push_back(integer("push.sendQueueMessages",
                        "packets queued for one device; a slower device is disconnected", &C::push,
                        4, 1000000, &PushConfig::send_queue_messages));
    s.push_back(integer("push.maxPayloadBytes", "largest packet a device may send", &C::push, 256,
                        std::int64_t{64} << 20U, &PushConfig::max_payload_bytes));
    s.push_back(text("push.consumerGroup",
                     "Kafka consumer group of this instance's push feed; empty = "
                     "primesync-push-<host>-<port>",
                     [](C& c) -> std::string& { return c.push.consumer_group; }));
    s.push_back(choice("log.level", "trace, debug, info, warn, error or off",
                       [](C& c) -> std::string& { return c.log.level; },
                       {"trace", "debug", "info", "warn", "error", "off"}));
    s.push_back(
        boolean("log.accessLog", "one JSON line per request", &C::log, &LogConfig::access_log));
    return s;
  }();
  return table;
}

const toml::node* find_node(const toml::table& root, std::string_view path) {
  return root.at_path(path).node();
}

// Rejects keys nobody reads: a typo should not pass silently.
void reject_unknown_keys(const toml::table& table, const std::string& prefix) {
  for (const auto& [key, node] : table) {
    const std::string path =
        prefix.empty() ? std::string(key.str()) : prefix + "." + std::string(key.str());
    if (const auto* child = node.as_table()) {
      reject_unknown_keys(*child, path);
      continue;
    }
    const bool known = std::any_of(settings().begin(), settings().end(),
                                   [&](const Setting& setting) { return setting.path == path; });
    if (!known) bad_value(path, "unknown key");
  }
}

}  // namespace

Config load_config(const std::optional<std::string>& path) {
  Config config;
  if (path) {
    toml::table root;
    try {
      root = toml::parse_file(*path);
    } catch (const toml::parse_error& error) {
      std::ostringstream message;
      message << *path << ": " << error.description() << " at line " << error.source().begin.line;
      throw ConfigError(message.str());
    }
    reject_unknown_keys(root, "");
    for (const Setting& setting : settings()) {
      if (const toml::node* node = find_node(root, setting.path)) setting.from_toml(config, *node);
    }
  }
  for (const Setting& setting : settings()) {
    if (const char* value = std::getenv(env_name(setting.path).c_str())) {
      setting.from_text(config, value);
    }
  }
  if (const char* secret = std::getenv(std::string(secret_env).c_str())) {
    config.auth.jwt_secret = secret;
  }
  return config;
}

void validate_config(const Config& config, ConfigUse use) {
  if (use == ConfigUse::serving && config.auth.jwt_secret.empty()) {
    throw ConfigError("auth.jwtSecret: required; set it in the config file or in " +
                      std::string(secret_env));
  }
  if (config.outbox.retry_max < config.outbox.retry_initial) {
    bad_value("outbox.retryMaxMs", "must not be less than outbox.retryInitialMs");
  }
  if (config.store == "mongodb" && config.mongodb.uri.empty()) {
    bad_value("sync.adapters.mongodb.uri", "required when sync.adapters.store is mongodb");
  }
  if (config.server.listen.rfind(':') == std::string::npos) {
    bad_value("server.listen", "expected HOST:PORT");
  }
}

std::string print_config(const Config& config) {
  std::string out;
  std::string section;
  for (const Setting& setting : settings()) {
    const auto dot = setting.path.rfind('.');
    const std::string this_section = setting.path.substr(0, dot);
    if (this_section != section) {
      out += (out.empty() ? "[" : "\n[") + this_section + "]\n";
      section = this_section;
    }
    out += setting.path.substr(dot + 1) + " = " + setting.print(config) + "\n";
  }
  return out;
}

std::string describe_config() {
  const Config defaults;
  std::string out = "| key | environment | default | meaning |\n| --- | --- | --- | --- |\n";
  for (const Setting& setting : settings()) {
    out += "| `" + setting.path + "` | `" + env_name(setting.path) + "` | `" +
           setting.print(defaults) + "` | " + setting.help + " |\n";
  }
  return out;
}

}  // namespace primesync::app
