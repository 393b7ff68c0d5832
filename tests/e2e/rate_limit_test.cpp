// Per-user rate limiting (limits.userRequestsPerSecond, limits.userBurst): a user
// past its burst is answered 429 / 42900 with Retry-After, and other users are
// served as before.
#include "client_flows.hpp"
#include "server_process.hpp"

namespace primesync::e2e {
namespace {

constexpr int kBurst = 3;

class RateLimitTest : public ServerTest {
 protected:
  [[nodiscard]] ServerOptions server_options() const override {
    ServerOptions options;
    // One token a second: the test's few requests cannot earn a second one in time
    // to matter (the assertions allow for it where they could).
    options.config_toml =
        "[limits]\nuserRequestsPerSecond = 1\nuserBurst = " + std::to_string(kBurst) + "\n";
    return options;
  }
};

TEST_F(RateLimitTest, AUserPastItsBurstIsToldWhenToComeBackAndOthersAreServed) {
  ApiClient greedy(server().port(), mint_token("greedy"));
  int admitted = 0;
  ApiResponse refused;
  for (int i = 0; i < kBurst + 3; ++i) {
    ApiResponse response = greedy.check({}, "");
    if (is_ok(response)) {
      ++admitted;
    } else {
      refused = std::move(response);
      break;
    }
  }
  EXPECT_GE(admitted, kBurst);
  ASSERT_EQ(refused.http.status, 429) << refused.describe();
  EXPECT_EQ(refused.code, 42900);
  const auto retry_after = refused.http.header("retry-after");
  ASSERT_TRUE(retry_after.has_value());
  EXPECT_GE(std::stoi(*retry_after), 1);

  ApiClient patient(server().port(), mint_token("patient"));
  EXPECT_TRUE(is_ok(patient.check({}, "")));
}

}  // namespace
}  // namespace primesync::e2e
