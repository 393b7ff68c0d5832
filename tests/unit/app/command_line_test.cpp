// The command line: serving flags, the token subcommand, and errors naming the flag.
#include "app/command_line.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace primesync::app {
namespace {

using Args = std::vector<std::string>;

std::string error_of(const Args& arguments) {
  try {
    (void)parse_command_line(arguments);
  } catch (const std::invalid_argument& error) {
    return error.what();
  }
  return "";
}

TEST(CommandLineTest, NoArgumentsServesWithDefaults) {
  const CommandLine command = parse_command_line({});
  EXPECT_EQ(command.subcommand, Subcommand::serve);
  EXPECT_FALSE(command.serve.config_path.has_value());
  EXPECT_FALSE(command.serve.listen.has_value());
  EXPECT_FALSE(command.serve.print_config);
  EXPECT_FALSE(command.serve.help);
}

TEST(CommandLineTest, ServeFlags) {
  const CommandLine command =
      parse_command_line({"--config", "/etc/p.toml", "--listen", "127.0.0.1:1", "--data-dir",
                          "/var/lib/p", "--threads", "3", "--print-config"});
  EXPECT_EQ(command.subcommand, Subcommand::serve);
  EXPECT_EQ(command.serve.config_path, "/etc/p.toml");
  EXPECT_EQ(command.serve.listen, "127.0.0.1:1");
  EXPECT_EQ(command.serve.data_dir, "/var/lib/p");
  EXPECT_EQ(command.serve.threads, 3U);
  EXPECT_TRUE(command.serve.print_config);
}

TEST(CommandLineTest, Help) {
  EXPECT_TRUE(parse_command_line({"--help"}).serve.help);
  EXPECT_TRUE(parse_command_line({"-h"}).serve.help);
  EXPECT_TRUE(parse_command_line({"token", "--help"}).serve.help) << "no --user needed for help";
  EXPECT_NE(usage().find("token --user"), std::string::npos);
}

TEST(CommandLineTest, TokenFlags) {
  const CommandLine command = parse_command_line(
      {"token", "--user", "alice", "--prime", "false", "--ttl", "60", "--config", "/p.toml"});
  EXPECT_EQ(command.subcommand, Subcommand::token);
  EXPECT_EQ(command.token.user, "alice");
  EXPECT_FALSE(command.token.prime);
  EXPECT_EQ(command.token.ttl_seconds, 60);
  EXPECT_EQ(command.token.config_path, "/p.toml");
}

TEST(CommandLineTest, TokenDefaults) {
  const CommandLine command = parse_command_line({"token", "--user", "alice"});
  EXPECT_TRUE(command.token.prime);
  EXPECT_EQ(command.token.ttl_seconds, 3600);
}

TEST(CommandLineTest, UserSubcommands) {
  const CommandLine exported = parse_command_line(
      {"user", "export", "--user", "alice", "--config", "/p.toml", "--data-dir", "/d"});
  EXPECT_EQ(exported.subcommand, Subcommand::user_export);
  EXPECT_EQ(exported.operator_options.user, "alice");
  EXPECT_EQ(exported.operator_options.config_path, "/p.toml");
  EXPECT_EQ(exported.operator_options.data_dir, "/d");

  const CommandLine deleted = parse_command_line({"user", "delete", "--user", "bob"});
  EXPECT_EQ(deleted.subcommand, Subcommand::user_delete);
  EXPECT_EQ(deleted.operator_options.user, "bob");

  const CommandLine listed = parse_command_line({"user", "list", "--limit", "5"});
  EXPECT_EQ(listed.subcommand, Subcommand::user_list);
  EXPECT_EQ(listed.operator_options.limit, 5U);
  EXPECT_EQ(parse_command_line({"user", "list"}).operator_options.limit, 0U) << "0: every user";
}

TEST(CommandLineTest, BackupSubcommand) {
  const CommandLine command = parse_command_line({"backup", "--to", "/b", "--data-dir", "/d"});
  EXPECT_EQ(command.subcommand, Subcommand::backup);
  EXPECT_EQ(command.operator_options.to, "/b");
  EXPECT_EQ(command.operator_options.data_dir, "/d");
}

struct BadCase {
  std::string name;
  Args arguments;
  std::string message;  // names the flag
};

class CommandLineRejectTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(CommandLineRejectTest, ThrowsNamingTheFlag) {
  const std::string message = error_of(GetParam().arguments);
  EXPECT_NE(message.find(GetParam().message), std::string::npos) << "got: " << message;
}

INSTANTIATE_TEST_SUITE_P(
    Table, CommandLineRejectTest,
    ::testing::Values(
        BadCase{"UnknownFlag", {"--verbose"}, "'--verbose'"},
        BadCase{"PositionalArgument", {"serve"}, "'serve'"},
        BadCase{"MissingValue", {"--listen"}, "--listen: missing value"},
        BadCase{"ThreadsNotANumber", {"--threads", "many"}, "--threads"},
        BadCase{"ThreadsZero", {"--threads", "0"}, "--threads"},
        BadCase{"ThreadsNegative", {"--threads", "-2"}, "--threads"},
        BadCase{"ThreadsTrailingText", {"--threads", "4x"}, "--threads"},
        BadCase{"TokenWithoutUser", {"token"}, "--user is required"},
        BadCase{"TokenBadPrime", {"token", "--user", "a", "--prime", "yes"}, "--prime"},
        BadCase{"TokenBadTtl", {"token", "--user", "a", "--ttl", "0"}, "--ttl"},
        BadCase{"TokenTtlNotANumber", {"token", "--user", "a", "--ttl", "1h"}, "--ttl"},
        BadCase{
            "ServeFlagInTokenCommand", {"token", "--user", "a", "--listen", "x:1"}, "'--listen'"},
        BadCase{"TokenFlagWhenServing", {"--user", "alice"}, "'--user'"},
        BadCase{"UserWithoutAction", {"user"}, "user: expected export, delete or list"},
        BadCase{"UserUnknownAction", {"user", "purge"}, "'purge'"},
        BadCase{"ExportWithoutUser", {"user", "export"}, "user export: --user is required"},
        BadCase{"DeleteWithoutUser", {"user", "delete"}, "user delete: --user is required"},
        BadCase{"ListZeroLimit", {"user", "list", "--limit", "0"}, "--limit"},
        BadCase{"ListWithUser", {"user", "list", "--user", "a"}, "'--user'"},
        BadCase{"BackupWithoutTo", {"backup"}, "backup: --to is required"},
        BadCase{"ServeFlagInBackup", {"backup", "--to", "/b", "--listen", "x:1"}, "'--listen'"}),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace primesync::app
