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
  EXPECT_FALSE(command.token_command);
  EXPECT_FALSE(command.serve.config_path.has_value());
  EXPECT_FALSE(command.serve.listen.has_value());
  EXPECT_FALSE(command.serve.print_config);
  EXPECT_FALSE(command.serve.help);
}

TEST(CommandLineTest, ServeFlags) {
  const CommandLine command =
      parse_command_line({"--config", "/etc/p.toml", "--listen", "127.0.0.1:1", "--data-dir",
                          "/var/lib/p", "--threads", "3", "--print-config"});
  EXPECT_FALSE(command.token_command);
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
  EXPECT_TRUE(command.token_command);
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
        BadCase{"TokenFlagWhenServing", {"--user", "alice"}, "'--user'"}),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace primesync::app
