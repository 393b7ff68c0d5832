// Flow 13: the command line. `token` mints a token the server accepts;
// `--print-config` never shows the secret.
#include <chrono>
#include <regex>

#include "client_flows.hpp"
#include "server_process.hpp"

namespace primesync::e2e {
namespace {

// The first thing shaped like a JWT in `output`.
std::string find_jwt(const std::string& output) {
  static const std::regex kJwt(R"([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)");
  std::smatch match;
  return std::regex_search(output, match, kJwt) ? match.str() : "";
}

class CliTest : public ServerTest {};

TEST_F(CliTest, TokenSubcommandMintsATokenTheServerAccepts) {
  CommandResult result = server().run_command({"token", "--user", "u1"});
  ASSERT_TRUE(result.status.clean()) << result.status.describe() << "\n" << result.output;
  const std::string token = find_jwt(result.output);
  ASSERT_FALSE(token.empty()) << result.output;

  ApiClient device(server().port(), token);
  ApiResponse info = device.user_info();
  ASSERT_TRUE(is_ok(info));
  EXPECT_EQ(get_string(info.data, "userId"), "u1");
  EXPECT_TRUE(is_ok(device.check({}, "")));
}

TEST_F(CliTest, TokenSubcommandHonoursPrimeAndTtl) {
  CommandResult result =
      server().run_command({"token", "--user", "u2", "--prime", "false", "--ttl", "120"});
  ASSERT_TRUE(result.status.clean()) << result.status.describe() << "\n" << result.output;
  const std::string token = find_jwt(result.output);
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();

  simdjson::dom::parser parser;
  simdjson::dom::element claims = parser.parse(simdjson::padded_string(jwt_payload(token)));
  EXPECT_EQ(get_string(claims, "sub"), "u2");
  EXPECT_FALSE(get_bool(claims, "prime"));
  EXPECT_NEAR(static_cast<double>(get_int(claims, "exp")), static_cast<double>(now + 120), 10.0);

  ApiClient device(server().port(), token);
  EXPECT_TRUE(is_business_error(device.check({}, ""), 90005));  // prime: false
}

TEST_F(CliTest, PrintConfigMasksTheSecret) {
  std::vector<std::string> args = {"--print-config"};
  CommandResult result = server().run_command(args);
  ASSERT_TRUE(result.status.clean()) << result.status.describe() << "\n" << result.output;
  EXPECT_FALSE(result.output.empty());
  EXPECT_EQ(result.output.find(kTestJwtSecret), std::string::npos) << result.output;
}

// A secret in the config file too; the environment's wins (both must stay hidden).
constexpr std::string_view kFileSecret = "file-secret-5e0b7c2a91d3";

class CliWithConfigTest : public ServerTest {
 protected:
  ServerOptions server_options() const override {
    ServerOptions options;
    options.config_toml = "[" + std::string(kBodyLimitSection) + "]\n" +
                          std::string(kBodyLimitKey) + " = 123456\n[auth]\njwtSecret = \"" +
                          std::string(kFileSecret) + "\"\n";
    return options;
  }
};

TEST_F(CliWithConfigTest, PrintConfigShowsTheFileAndMasksTheSecret) {
  CommandResult result =
      server().run_command({"--config", server().config_path().string(), "--print-config"});
  ASSERT_TRUE(result.status.clean()) << result.status.describe() << "\n" << result.output;
  EXPECT_NE(result.output.find("123456"), std::string::npos) << result.output;
  EXPECT_EQ(result.output.find(kTestJwtSecret), std::string::npos) << result.output;
  EXPECT_EQ(result.output.find(kFileSecret), std::string::npos) << result.output;
  // The environment's secret wins: the test tokens are accepted.
  EXPECT_TRUE(is_ok(ApiClient(server().port(), mint_token("cli-env-wins")).user_info()));
}

}  // namespace
}  // namespace primesync::e2e
