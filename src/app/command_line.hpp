// The command line of primesync-server (see the README): serving options, and
// the `token` subcommand that mints a token with the configured secret.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace primesync::app {

struct ServeOptions {
  std::optional<std::string> config_path;
  std::optional<std::string> listen;
  std::optional<std::string> data_dir;
  std::optional<unsigned> threads;
  bool print_config = false;
  bool describe_config = false;  // every key as a Markdown table (docs)
  bool help = false;
};

struct TokenOptions {
  std::optional<std::string> config_path;
  std::string user;
  bool prime = true;
  std::int64_t ttl_seconds = 3600;
};

struct CommandLine {
  bool token_command = false;
  ServeOptions serve;
  TokenOptions token;
};

// Throws std::invalid_argument with a message naming the bad argument.
[[nodiscard]] CommandLine parse_command_line(const std::vector<std::string>& arguments);

[[nodiscard]] std::string usage();

}  // namespace primesync::app
