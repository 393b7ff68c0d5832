// The command line of primesync-server (see the README): serving options, the
// `token` subcommand that mints a token with the configured secret, and the
// operator's subcommands (`user export|delete|list`, `backup`) that work on a
// stopped server's store.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace primesync::app {

enum class Subcommand { serve, token, user_export, user_delete, user_list, backup };

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

// `user export|delete|list` and `backup`.
struct OperatorOptions {
  std::optional<std::string> config_path;
  std::optional<std::string> data_dir;
  std::string user;       // export, delete
  std::size_t limit = 0;  // list; 0 = every user
  std::string to;         // backup: the new directory
};

struct CommandLine {
  Subcommand subcommand = Subcommand::serve;
  ServeOptions serve;
  TokenOptions token;
  OperatorOptions operator_options;
};

// Throws std::invalid_argument with a message naming the bad argument.
[[nodiscard]] CommandLine parse_command_line(const std::vector<std::string>& arguments);

[[nodiscard]] std::string usage();

}  // namespace primesync::app
