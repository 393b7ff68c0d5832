#include "app/command_line.hpp"

#include <charconv>
#include <stdexcept>

namespace primesync::app {
namespace {

template <typename Number>
Number parse_number(const std::string& flag, const std::string& text, Number min) {
  Number value{};
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size() || value < min) {
    throw std::invalid_argument(flag + ": expected a number ≥ " + std::to_string(min) + ", got '" +
                                text + "'");
  }
  return value;
}

bool parse_boolean(const std::string& flag, const std::string& text) {
  if (text == "true") return true;
  if (text == "false") return false;
  throw std::invalid_argument(flag + ": expected true or false, got '" + text + "'");
}

}  // namespace

CommandLine parse_command_line(const std::vector<std::string>& arguments) {
  CommandLine command;
  std::size_t i = 0;
  if (!arguments.empty() && arguments[0] == "token") {
    command.token_command = true;
    i = 1;
  }
  auto value_of = [&](const std::string& flag) -> std::string {
    if (i + 1 >= arguments.size()) throw std::invalid_argument(flag + ": missing value");
    return arguments[++i];
  };
  for (; i < arguments.size(); ++i) {
    const std::string& flag = arguments[i];
    if (flag == "--config") {
      command.serve.config_path = command.token.config_path = value_of(flag);
    } else if (flag == "--help" || flag == "-h") {
      command.serve.help = true;
    } else if (command.token_command && flag == "--user") {
      command.token.user = value_of(flag);
    } else if (command.token_command && flag == "--prime") {
      command.token.prime = parse_boolean(flag, value_of(flag));
    } else if (command.token_command && flag == "--ttl") {
      command.token.ttl_seconds = parse_number<std::int64_t>(flag, value_of(flag), 1);
    } else if (!command.token_command && flag == "--listen") {
      command.serve.listen = value_of(flag);
    } else if (!command.token_command && flag == "--data-dir") {
      command.serve.data_dir = value_of(flag);
    } else if (!command.token_command && flag == "--threads") {
      command.serve.threads = parse_number<unsigned>(flag, value_of(flag), 1);
    } else if (!command.token_command && flag == "--print-config") {
      command.serve.print_config = true;
    } else if (!command.token_command && flag == "--describe-config") {
      command.serve.describe_config = true;
    } else {
      throw std::invalid_argument("unknown argument '" + flag + "'\n" + usage());
    }
  }
  if (command.token_command && !command.serve.help && command.token.user.empty()) {
    throw std::invalid_argument("token: --user is required");
  }
  return command;
}

std::string usage() {
  return "usage: primesync-server [--config FILE] [--listen HOST:PORT] [--data-dir DIR]\n"
         "                        [--threads N] [--print-config] [--describe-config]\n"
         "       primesync-server token --user ID [--prime true|false] [--ttl SECONDS]\n"
         "                        [--config FILE]\n"
         "The JWT secret comes from auth.jwtSecret or PRIMESYNC_JWT_SECRET (which wins).\n";
}

}  // namespace primesync::app
