// The config loader: defaults, the TOML file, environment overrides, and errors
// that name the key.
#include "app/config_loader.hpp"

#include <gtest/gtest.h>

#include <unistd.h>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace primesync::app {
namespace {

using namespace std::chrono_literals;

// Every key of the config, as documented.
const std::vector<std::string> all_keys = {"server.listen",
                                           "server.threads",
                                           "server.bodyLimit",
                                           "server.readBufferBytes",
                                           "server.readTimeoutMs",
                                           "server.idleTimeoutMs",
                                           "server.shutdownTimeoutMs",
                                           "server.maxConnections",
                                           "auth.jwtSecret",
                                           "auth.leewaySeconds",
                                           "auth.defaultPrime",
                                           "auth.requirePrime",
                                           "auth.tokenCacheEntries",
                                           "auth.maxTokenBytes",
                                           "admin.token",
                                           "limits.maxItemsPerRequest",
                                           "limits.maxItemBytes",
                                           "limits.maxPageSize",
                                           "limits.maxDevices",
                                           "limits.maxMessageBytes",
                                           "limits.deviceSeenResolutionSeconds",
                                           "limits.userRequestsPerSecond",
                                           "limits.userBurst",
                                           "limits.instanceRequestsPerSecond",
                                           "limits.instanceBurst",
                                           "limits.rateLimitedUsers",
                                           "sync.enableCache",
                                           "sync.cachePrefix",
                                           "sync.cacheTTL",
                                           "sync.cacheMaxBytes",
                                           "sync.adapters.store",
                                           "sync.adapters.rocksdb.path",
                                           "sync.adapters.rocksdb.syncWal",
                                           "sync.adapters.rocksdb.blockCacheBytes",
                                           "sync.adapters.rocksdb.writeBufferBytes",
                                           "sync.adapters.mongodb.uri",
                                           "sync.adapters.mongodb.database",
                                           "sync.adapters.mongodb.poolSize",
                                           "sync.adapters.mongodb.writeConcern",
                                           "sync.adapters.mongodb.journal",
                                           "sync.adapters.mongodb.timeoutMs",
                                           "sync.adapters.mongodb.connectTimeoutMs",
                                           "sync.adapters.mongodb.bulkStatements",
                                           "sync.adapters.mongodb.instanceId",
                                           "sync.adapters.mongodb.revalidateReads",
                                           "sync.adapters.mongodb.intentTimeoutSeconds",
                                           "sync.adapters.kafka.brokers",
                                           "sync.adapters.kafka.topic",
                                           "sync.adapters.kafka.compression",
                                           "sync.adapters.kafka.deliveryTimeoutMs",
                                           "sync.adapters.kafka.queueMessages",
                                           "sync.adapters.kafka.lingerMs",
                                           "sync.adapters.kafka.clientId",
                                           "queue.shards",
                                           "queue.capacity",
                                           "queue.maxBatch",
                                           "queue.lingerMicros",
                                           "queue.conflictRetries",
                                           "queue.retryAfterSeconds",
                                           "outbox.batch",
                                           "outbox.retryInitialMs",
                                           "outbox.retryMaxMs",
                                           "outbox.maxAgeSeconds",
                                           "outbox.historyRetentionSeconds",
                                           "push.enabled",
                                           "push.requireToken",
                                           "push.pingIntervalMs",
                                           "push.pingTimeoutMs",
                                           "push.connectTimeoutMs",
                                           "push.ackTimeoutMs",
                                           "push.maxRetries",
                                           "push.maxConnections",
                                           "push.sendQueueMessages",
                                           "push.maxPayloadBytes",
                                           "push.consumerGroup",
                                           "log.level",
                                           "log.accessLog"};

// A TOML file in the temp directory, removed when the test ends.
class TempFile {
 public:
  explicit TempFile(std::string_view text) {
    static std::atomic<int> counter{0};
    path_ =
        std::filesystem::temp_directory_path() / ("primesync-config-" + std::to_string(::getpid()) +
                                                  "-" + std::to_string(counter++) + ".toml");
    std::ofstream(path_) << text;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  [[nodiscard]] std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

// Sets an environment variable for the scope of a test.
class ScopedEnv {
 public:
  ScopedEnv(std::string name, const std::string& value) : name_(std::move(name)) {
    ::setenv(name_.c_str(), value.c_str(), 1);
  }
  ~ScopedEnv() { ::unsetenv(name_.c_str()); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
};

Config load_text(std::string_view toml) {
  TempFile file(toml);
  return load_config(file.path());
}

// The message of the ConfigError `load` throws, or "" when it does not throw.
template <typename Load>
std::string error_of(Load load) {
  try {
    load();
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "";
}

TEST(ConfigLoaderTest, DefaultsWithoutAFile) {
  const Config config = load_config(std::nullopt);
  const Config defaults;
  EXPECT_EQ(config.server.listen, "0.0.0.0:8080");
  EXPECT_EQ(config.server.body_limit, defaults.server.body_limit);
  EXPECT_EQ(config.auth.leeway, 60s);
  EXPECT_TRUE(config.auth.require_prime);
  EXPECT_TRUE(config.auth.default_prime);
  EXPECT_EQ(config.limits.max_devices, 32U);
  EXPECT_EQ(config.limits.max_page_size, 10000U);
  EXPECT_EQ(config.limits.max_items_per_request, 10000U);
  EXPECT_EQ(config.limits.max_item_bytes, 256U << 10U);
  EXPECT_TRUE(config.cache.enabled);
  EXPECT_EQ(config.store, "rocksdb");
  EXPECT_TRUE(config.auth.jwt_secret.empty());
}

TEST(ConfigLoaderTest, FileSetsKeys) {
  const Config config = load_text(R"(
[server]
listen = "127.0.0.1:9000"
threads = 4
readTimeoutMs = 1500
maxConnections = 64

[auth]
jwtSecret = "from-file"
requirePrime = false

[limits]
maxDevices = 3

[sync]
enableCache = false
cachePrefix = "x:"
cacheTTL = 10

[sync.adapters.rocksdb]
path = "/tmp/somewhere"
syncWal = false

[queue]
lingerMicros = 250

[log]
level = "debug"
)");
  EXPECT_EQ(config.server.listen, "127.0.0.1:9000");
  EXPECT_EQ(config.server.max_connections, 64U);
  EXPECT_EQ(config.server.threads, 4U);
  EXPECT_EQ(config.server.read_timeout, 1500ms);
  EXPECT_EQ(config.auth.jwt_secret, "from-file");
  EXPECT_FALSE(config.auth.require_prime);
  EXPECT_EQ(config.limits.max_devices, 3U);
  EXPECT_FALSE(config.cache.enabled);
  EXPECT_EQ(config.cache.prefix, "x:");
  EXPECT_EQ(config.cache.ttl, 10s);
  EXPECT_EQ(config.rocksdb.path, "/tmp/somewhere");
  EXPECT_FALSE(config.rocksdb.sync_wal);
  EXPECT_EQ(config.queue.linger, 250us);
  EXPECT_EQ(config.log.level, "debug");
  EXPECT_EQ(config.limits.max_page_size, 10000U) << "keys not in the file keep their default";
}

TEST(ConfigLoaderTest, DottedKeysWork) {
  const Config config = load_text("sync.adapters.store = \"rocksdb\"\nserver.threads = 2\n");
  EXPECT_EQ(config.server.threads, 2U);
}

struct BadFileCase {
  std::string name;
  std::string toml;
  std::string message;  // what the error must contain: the key and why
};

class ConfigLoaderRejectTest : public ::testing::TestWithParam<BadFileCase> {};

TEST_P(ConfigLoaderRejectTest, NamesTheKey) {
  const std::string message = error_of([&] { (void)load_text(GetParam().toml); });
  EXPECT_NE(message.find(GetParam().message), std::string::npos) << "got: " << message;
}

INSTANTIATE_TEST_SUITE_P(
    Table, ConfigLoaderRejectTest,
    ::testing::Values(
        BadFileCase{"UnknownKey", "[server]\nlisten = \"a:1\"\nlistn = \"b:2\"\n",
                    "server.listn: unknown key"},
        BadFileCase{"UnknownSection", "[servre]\nlisten = \"a:1\"\n", "servre.listen: unknown key"},
        BadFileCase{"UnknownTopLevel", "verbose = true\n", "verbose: unknown key"},
        BadFileCase{"StringForInteger", "[server]\nthreads = \"four\"\n",
                    "server.threads: expected integer"},
        BadFileCase{"FloatForInteger", "[limits]\nmaxDevices = 2.5\n",
                    "limits.maxDevices: expected integer"},
        BadFileCase{"IntegerForString", "[server]\nlisten = 8080\n",
                    "server.listen: expected string"},
        BadFileCase{"StringForBoolean", "[auth]\nrequirePrime = \"yes\"\n",
                    "auth.requirePrime: expected true or false"},
        BadFileCase{"BelowRange", "[limits]\nmaxDevices = 0\n",
                    "limits.maxDevices: must be between"},
        BadFileCase{"AboveRange", "[server]\nthreads = 5000\n", "server.threads: must be between"},
        BadFileCase{"NegativeDuration", "[server]\nreadTimeoutMs = -1\n",
                    "server.readTimeoutMs: must be between"},
        BadFileCase{"NoConnectionsAllowed", "[server]\nmaxConnections = 0\n",
                    "server.maxConnections: must be between"},
        BadFileCase{"BadEnumValue", "[log]\nlevel = \"loud\"\n", "log.level: must be one of"},
        BadFileCase{"BadStore", "[sync.adapters]\nstore = \"postgres\"\n",
                    "sync.adapters.store: must be one of rocksdb, mongodb"},
        BadFileCase{"ShortAdminToken", "[admin]\ntoken = \"short\"\n",
                    "admin.token: must be empty (off) or at least 16 bytes"},
        BadFileCase{"NotToml", "[server\nlisten = \n", "line"}),
    [](const auto& info) { return info.param.name; });

TEST(ConfigLoaderTest, MissingFileIsAConfigError) {
  EXPECT_FALSE(error_of([] { (void)load_config("/nonexistent/primesync.toml"); }).empty());
}

TEST(ConfigLoaderTest, EnvironmentOverridesTheFile) {
  TempFile file("[server]\nlisten = \"127.0.0.1:9000\"\nthreads = 4\n");
  ScopedEnv listen("PRIMESYNC_SERVER_LISTEN", "10.0.0.1:7000");
  ScopedEnv cache("PRIMESYNC_SYNC_ENABLECACHE", "false");
  ScopedEnv path("PRIMESYNC_SYNC_ADAPTERS_ROCKSDB_PATH", "/data/x");
  const Config config = load_config(file.path());
  EXPECT_EQ(config.server.listen, "10.0.0.1:7000");
  EXPECT_EQ(config.server.threads, 4U) << "not overridden";
  EXPECT_FALSE(config.cache.enabled);
  EXPECT_EQ(config.rocksdb.path, "/data/x");
}

TEST(ConfigLoaderTest, JwtSecretEnvironmentWinsOverFile) {
  TempFile file("[auth]\njwtSecret = \"from-file\"\n");
  {
    ScopedEnv secret("PRIMESYNC_JWT_SECRET", "from-env");
    EXPECT_EQ(load_config(file.path()).auth.jwt_secret, "from-env");
  }
  {
    ScopedEnv secret("PRIMESYNC_AUTH_JWTSECRET", "from-key-env");
    EXPECT_EQ(load_config(file.path()).auth.jwt_secret, "from-key-env");
  }
  EXPECT_EQ(load_config(file.path()).auth.jwt_secret, "from-file");
}

TEST(ConfigLoaderTest, AdminTokenIsOffByDefaultAndComesFromItsEnvironmentVariable) {
  EXPECT_EQ(load_config(std::nullopt).admin.token, "") << "off";
  ScopedEnv token("PRIMESYNC_ADMIN_TOKEN", "admin-token-0123456789");
  EXPECT_EQ(load_config(std::nullopt).admin.token, "admin-token-0123456789");
}

TEST(ConfigLoaderTest, BadEnvironmentValueNamesTheKey) {
  ScopedEnv threads("PRIMESYNC_SERVER_THREADS", "many");
  EXPECT_NE(error_of([] { (void)load_config(std::nullopt); }).find("server.threads"),
            std::string::npos);
}

TEST(ConfigLoaderTest, OutOfRangeEnvironmentValueNamesTheKey) {
  ScopedEnv devices("PRIMESYNC_LIMITS_MAXDEVICES", "0");
  EXPECT_NE(error_of([] { (void)load_config(std::nullopt); }).find("limits.maxDevices"),
            std::string::npos);
}

TEST(ValidateConfigTest, WithoutSecretNamesAuthJwtSecret) {
  const std::string message = error_of([] { validate_config(Config{}); });
  EXPECT_NE(message.find("auth.jwtSecret"), std::string::npos) << message;
}

TEST(ValidateConfigTest, TheStoreAloneNeedsNoSecret) {
  const Config without_secret;
  EXPECT_EQ(error_of([&] { validate_config(without_secret, ConfigUse::store_only); }), "");
}

TEST(ValidateConfigTest, ChecksCrossKeyRules) {
  Config config;
  config.auth.jwt_secret = "s";
  EXPECT_EQ(error_of([&] { validate_config(config); }), "");

  Config retries = config;
  retries.outbox.retry_initial = 500ms;
  retries.outbox.retry_max = 100ms;
  EXPECT_NE(error_of([&] { validate_config(retries); }).find("outbox.retryMaxMs"),
            std::string::npos);

  Config listen = config;
  listen.server.listen = "localhost";
  EXPECT_NE(error_of([&] { validate_config(listen); }).find("server.listen"), std::string::npos);
}

TEST(PrintConfigTest, MasksTheSecretAndListsEveryKey) {
  Config config;
  config.auth.jwt_secret = "super-secret-value";
  const std::string printed = print_config(config);
  EXPECT_EQ(printed.find("super-secret-value"), std::string::npos);
  EXPECT_NE(printed.find("jwtSecret = \"***\""), std::string::npos) << printed;
  config.admin.token = "admin-token-0123456789";
  EXPECT_EQ(print_config(config).find("admin-token-0123456789"), std::string::npos);
  EXPECT_NE(printed.find("[server]"), std::string::npos);
  for (const std::string& key : all_keys) {
    const std::string name = key.substr(key.rfind('.') + 1);
    EXPECT_NE(printed.find("\n" + name + " = "), std::string::npos) << key;
  }
}

TEST(PrintConfigTest, OutputLoadsBackToTheSameConfig) {
  Config config;
  config.server.listen = "127.0.0.1:1234";
  config.limits.max_devices = 7;
  config.cache.enabled = false;
  const Config reloaded = load_text(print_config(config));
  EXPECT_EQ(reloaded.server.listen, "127.0.0.1:1234");
  EXPECT_EQ(reloaded.limits.max_devices, 7U);
  EXPECT_FALSE(reloaded.cache.enabled);
}

TEST(DescribeConfigTest, ListsEveryKeyWithItsEnvironmentName) {
  const std::string table = describe_config();
  for (const std::string& key : all_keys) {
    EXPECT_NE(table.find("| `" + key + "` |"), std::string::npos) << key;
  }
  EXPECT_NE(table.find("`PRIMESYNC_SERVER_LISTEN`"), std::string::npos);
  EXPECT_NE(table.find("`PRIMESYNC_SYNC_ADAPTERS_ROCKSDB_PATH`"), std::string::npos);
  // One row per key plus the two header lines.
  EXPECT_EQ(static_cast<std::size_t>(std::count(table.begin(), table.end(), '\n')),
            all_keys.size() + 2);
}

}  // namespace
}  // namespace primesync::app
