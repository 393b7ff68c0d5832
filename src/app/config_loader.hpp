// Loads the TOML config file, applies environment overrides and validates every
// value, naming the key of any bad one. One table lists every key, so loading,
// environment names, --print-config and the docs cannot drift apart.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>

#include "primesync/config.hpp"

namespace primesync::app {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Reads `path` (when given), then the environment (PRIMESYNC_<KEY PATH> with dots
// as underscores, upper case, e.g. PRIMESYNC_SERVER_LISTEN; the JWT secret also
// as PRIMESYNC_JWT_SECRET). Throws ConfigError naming the key.
[[nodiscard]] Config load_config(const std::optional<std::string>& path);

// What the config is for: serving needs a JWT secret; the operator's subcommands
// only open the store.
enum class ConfigUse { serving, store_only };

// Checks cross-key rules and requirements (e.g. a JWT secret); throws ConfigError.
void validate_config(const Config& config, ConfigUse use = ConfigUse::serving);

// The effective config as TOML, secrets masked.
[[nodiscard]] std::string print_config(const Config& config);

// Every key with its environment variable and default, as a Markdown table (docs).
[[nodiscard]] std::string describe_config();

}  // namespace primesync::app
