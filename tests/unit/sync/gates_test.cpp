// The gates of PROTOCOL.md §4, each a table of (stored, requested) → code.
#include "sync/gates.hpp"

#include <gtest/gtest.h>

#include <string>

namespace primesync::sync {
namespace {

constexpr int passes = 0;

int code_of(const std::optional<Failure>& failure) {
  return failure ? error_info(failure->error).code : passes;
}

UserRecord user_with(std::string pwd_hash, std::int64_t nonce = 0) {
  UserRecord user;
  user.user_id = "u1";
  user.pwd_hash = std::move(pwd_hash);
  user.nonce = nonce;
  return user;
}

struct PasswordCase {
  std::string name;
  std::string stored;
  std::string requested;
  int password_gate;
  int strict_gate;
};

class PasswordGatesTest : public ::testing::TestWithParam<PasswordCase> {};

TEST_P(PasswordGatesTest, AnswerAsSpecified) {
  const PasswordCase& test_case = GetParam();
  const UserRecord user = user_with(test_case.stored);
  EXPECT_EQ(code_of(check_password_gate(user, test_case.requested)), test_case.password_gate);
  EXPECT_EQ(code_of(check_strict_gate(user, test_case.requested)), test_case.strict_gate);
}

INSTANTIATE_TEST_SUITE_P(
    Table, PasswordGatesTest,
    ::testing::Values(PasswordCase{"NothingStoredEmptyRequest", "", "", passes, 90006},
                      PasswordCase{"NothingStoredAnyRequest", "", "p1", passes, 90006},
                      PasswordCase{"Matches", "p1", "p1", passes, passes},
                      PasswordCase{"Differs", "p1", "p2", 90006, 90006},
                      PasswordCase{"EmptyRequestAgainstStored", "p1", "", 90006, 90006},
                      PasswordCase{"CaseMatters", "abc", "ABC", 90006, 90006}),
    [](const auto& info) { return info.param.name; });

struct NonceCase {
  std::string name;
  std::int64_t stored;
  std::int64_t requested;
  int expected;
};

class NonceGateTest : public ::testing::TestWithParam<NonceCase> {};

TEST_P(NonceGateTest, AnswersAsSpecified) {
  const NonceCase& test_case = GetParam();
  EXPECT_EQ(code_of(check_nonce_gate(user_with("p", test_case.stored), test_case.requested)),
            test_case.expected);
}

INSTANTIATE_TEST_SUITE_P(Table, NonceGateTest,
                         ::testing::Values(NonceCase{"ClientSendsZero", 5, 0, passes},
                                           NonceCase{"Behind", 5, 4, passes},
                                           NonceCase{"Equal", 5, 5, passes},
                                           NonceCase{"Ahead", 5, 6, 90009},
                                           NonceCase{"AheadOfNewUser", 0, 1, 90009}),
                         [](const auto& info) { return info.param.name; });

struct PrimeCase {
  std::string name;
  bool require_prime;
  bool is_prime;
  int expected;
};

class PrimeGateTest : public ::testing::TestWithParam<PrimeCase> {};

TEST_P(PrimeGateTest, AnswersAsSpecified) {
  const PrimeCase& test_case = GetParam();
  EXPECT_EQ(code_of(check_prime_gate(test_case.require_prime, test_case.is_prime)),
            test_case.expected);
}

INSTANTIATE_TEST_SUITE_P(Table, PrimeGateTest,
                         ::testing::Values(PrimeCase{"RequiredAndPrime", true, true, passes},
                                           PrimeCase{"RequiredNotPrime", true, false, 90005},
                                           PrimeCase{"NotRequiredPrime", false, true, passes},
                                           PrimeCase{"NotRequiredNotPrime", false, false, passes}),
                         [](const auto& info) { return info.param.name; });

TEST(ErrorTableTest, MapsEveryErrorToItsCodeAndStatus) {
  struct Row {
    Error error;
    int code;
    int http_status;
  };
  const Row rows[] = {{Error::ok, 0, 200},
                      {Error::token_invalid, 90002, 200},
                      {Error::too_many_devices, 90004, 200},
                      {Error::not_prime, 90005, 200},
                      {Error::password_mismatch, 90006, 200},
                      {Error::nonce_invalid, 90009, 200},
                      {Error::bad_request, 40000, 400},
                      {Error::admin_unauthorized, 40100, 401},
                      {Error::not_found, 40400, 404},
                      {Error::method_not_allowed, 40500, 405},
                      {Error::payload_too_large, 41300, 413},
                      {Error::rate_limited, 42900, 429},
                      {Error::unavailable, 50300, 503},
                      {Error::internal, 50000, 500}};
  for (const Row& row : rows) {
    EXPECT_EQ(error_info(row.error).code, row.code);
    EXPECT_EQ(error_info(row.error).http_status, row.http_status) << row.code;
    EXPECT_FALSE(error_info(row.error).message.empty()) << row.code;
  }
}

}  // namespace
}  // namespace primesync::sync
