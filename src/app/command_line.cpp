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

// The subcommand the arguments start with, and how many arguments name it.
std::pair<Subcommand, std::size_t> subcommand_of(const std::vector<std::string>& arguments) {
  if (arguments.empty()) return {Subcommand::serve, 0};
  if (arguments[0] == "token") return {Subcommand::token, 1};
  if (arguments[0] == "backup") return {Subcommand::backup, 1};
  if (arguments[0] != "user") return {Subcommand::serve, 0};
  if (arguments.size() < 2) throw std::invalid_argument("user: expected export, delete or list");
  if (arguments[1] == "export") return {Subcommand::user_export, 2};
  if (arguments[1] == "delete") return {Subcommand::user_delete, 2};
  if (arguments[1] == "list") return {Subcommand::user_list, 2};
  throw std::invalid_argument("user: expected export, delete or list, got '" + arguments[1] + "'");
}

bool is_operator(Subcommand subcommand) {
  return subcommand != Subcommand::serve && subcommand != Subcommand::token;
}

}  // namespace

CommandLine parse_command_line(const std::vector<std::string>& arguments) {
  CommandLine command;
  auto [subcommand, i] = subcommand_of(arguments);
  command.subcommand = subcommand;
  const bool serving = subcommand == Subcommand::serve;
  const bool token = subcommand == Subcommand::token;
  const bool operating = is_operator(subcommand);
  const bool names_user =
      subcommand == Subcommand::user_export || subcommand == Subcommand::user_delete;
  auto value_of = [&](const std::string& flag) -> std::string {
    if (i + 1 >= arguments.size()) throw std::invalid_argument(flag + ": missing value");
    return arguments[++i];
  };
  OperatorOptions& operating_options = command.operator_options;
  for (; i < arguments.size(); ++i) {
    const std::string& flag = arguments[i];
    if (flag == "--config") {
      command.serve.config_path = command.token.config_path = operating_options.config_path =
          value_of(flag);
    } else if (flag == "--help" || flag == "-h") {
      command.serve.help = true;
    } else if (token && flag == "--user") {
      command.token.user = value_of(flag);
    } else if (token && flag == "--prime") {
      command.token.prime = parse_boolean(flag, value_of(flag));
    } else if (token && flag == "--ttl") {
      command.token.ttl_seconds = parse_number<std::int64_t>(flag, value_of(flag), 1);
    } else if (names_user && flag == "--user") {
      operating_options.user = value_of(flag);
    } else if (subcommand == Subcommand::user_list && flag == "--limit") {
      operating_options.limit = parse_number<std::size_t>(flag, value_of(flag), 1);
    } else if (subcommand == Subcommand::backup && flag == "--to") {
      operating_options.to = value_of(flag);
    } else if (operating && flag == "--data-dir") {
      operating_options.data_dir = value_of(flag);
    } else if (serving && flag == "--listen") {
      command.serve.listen = value_of(flag);
    } else if (serving && flag == "--data-dir") {
      command.serve.data_dir = value_of(flag);
    } else if (serving && flag == "--threads") {
      command.serve.threads = parse_number<unsigned>(flag, value_of(flag), 1);
    } else if (serving && flag == "--print-config") {
      command.serve.print_config = true;
    } else if (serving && flag == "--describe-config") {
      command.serve.describe_config = true;
    } else {
      throw std::invalid_argument("unknown argument '" + flag + "'\n" + usage());
    }
  }
  if (command.serve.help) return command;
  if (token && command.token.user.empty()) {
    throw std::invalid_argument("token: --user is required");
  }
  if (names_user && operating_options.user.empty()) {
    throw std::invalid_argument(arguments[0] + " " + arguments[1] + ": --user is required");
  }
  if (subcommand == Subcommand::backup && operating_options.to.empty()) {
    throw std::invalid_argument("backup: --to is required");
  }
  return command;
}

std::string usage() {
  return "usage: primesync-server [--config FILE] [--listen HOST:PORT] [--data-dir DIR]\n"
         "                        [--threads N] [--print-config] [--describe-config]\n"
         "       primesync-server token --user ID [--prime true|false] [--ttl SECONDS]\n"
         "                        [--config FILE]\n"
         "       primesync-server user export --user ID [--config FILE] [--data-dir DIR]\n"
         "       primesync-server user delete --user ID [--config FILE] [--data-dir DIR]\n"
         "       primesync-server user list [--limit N] [--config FILE] [--data-dir DIR]\n"
         "       primesync-server backup --to DIR [--config FILE] [--data-dir DIR]\n"
         "The JWT secret comes from auth.jwtSecret or PRIMESYNC_JWT_SECRET (which wins).\n"
         "user and backup work on a stopped server's store; while it runs, use the admin\n"
         "endpoint (/admin/v1/, admin.token).\n";
}

}  // namespace primesync::app
