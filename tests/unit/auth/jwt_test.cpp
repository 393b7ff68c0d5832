// HS256 tokens (PROTOCOL.md §1.2): round trip, and every way a token is refused
// with 90002 and a message saying why.
#include "auth/jwt.hpp"

#include <gtest/gtest.h>

namespace primesync::auth {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view secret = "test-secret";
constexpr Millis now_ms = 1'700'000'000'000;
constexpr std::int64_t now_s = now_ms / 1000;
constexpr auto leeway = 60s;

// A correctly signed token over any header and payload text, so the checks after
// the signature can be reached with malformed content.
std::string signed_token(std::string_view header, std::string_view payload,
                         std::string_view key = secret) {
  const std::string signed_part = base64url_encode(header) + "." + base64url_encode(payload);
  return signed_part + "." + base64url_encode(hmac_sha256(key, signed_part));
}

std::string signed_raw(std::string_view encoded_header, std::string_view encoded_payload) {
  const std::string signed_part = std::string(encoded_header) + "." + std::string(encoded_payload);
  return signed_part + "." + base64url_encode(hmac_sha256(secret, signed_part));
}

constexpr std::string_view hs256 = R"({"alg":"HS256","typ":"JWT"})";

std::string claims(std::string_view extra) {
  return R"({"sub":"user-1","exp":)" + std::to_string(now_s + 3600) + std::string(extra) + "}";
}

Outcome<TokenClaims> verify(std::string_view token) {
  return verify_token(token, secret, leeway, now_ms);
}

TEST(JwtTest, SignThenVerifyRoundTrips) {
  for (std::optional<bool> prime :
       {std::optional<bool>{}, std::optional<bool>{true}, std::optional<bool>{false}}) {
    const TokenClaims claims_in{"user-1", prime, now_s + 3600};
    const auto outcome = verify(sign_token(claims_in, secret, now_ms));
    ASSERT_TRUE(outcome.ok()) << outcome.failure().message;
    EXPECT_EQ(outcome->subject, "user-1");
    EXPECT_EQ(outcome->prime, prime);
    EXPECT_EQ(outcome->expires_at, now_s + 3600);
  }
}

TEST(JwtTest, SubjectWithQuotesSurvivesTheRoundTrip) {
  const auto outcome =
      verify(sign_token({R"(we"ird\user)", std::nullopt, now_s + 60}, secret, now_ms));
  ASSERT_TRUE(outcome.ok()) << outcome.failure().message;
  EXPECT_EQ(outcome->subject, R"(we"ird\user)");
}

TEST(JwtTest, AcceptsForeignTokensWithExtraClaims) {
  // A Supabase-style token: more header fields and claims than ours.
  const auto outcome =
      verify(signed_token(R"({"typ":"JWT","alg":"HS256","kid":"x"})",
                          R"({"aud":"authenticated","sub":"user-1","role":"authenticated","exp":)" +
                              std::to_string(now_s + 10) + R"(,"prime":true,"nbf":null})"));
  ASSERT_TRUE(outcome.ok()) << outcome.failure().message;
  EXPECT_EQ(outcome->prime, true);
}

struct PrimeCase {
  std::string name;
  std::string claim;
  std::optional<bool> expected;
};

class JwtPrimeClaimTest : public ::testing::TestWithParam<PrimeCase> {};

TEST_P(JwtPrimeClaimTest, ReadsThePrimeClaim) {
  const auto outcome = verify(signed_token(hs256, claims(GetParam().claim)));
  ASSERT_TRUE(outcome.ok()) << outcome.failure().message;
  EXPECT_EQ(outcome->prime, GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(Table, JwtPrimeClaimTest,
                         ::testing::Values(PrimeCase{"True", R"(,"prime":true)", true},
                                           PrimeCase{"False", R"(,"prime":false)", false},
                                           PrimeCase{"Absent", "", std::nullopt},
                                           PrimeCase{"Null", R"(,"prime":null)", std::nullopt}),
                         [](const auto& info) { return info.param.name; });

struct RejectCase {
  std::string name;
  std::string token;
  std::string message;  // the part of the message that says why
};

class JwtRejectTest : public ::testing::TestWithParam<RejectCase> {};

TEST_P(JwtRejectTest, AnswersTokenInvalidSayingWhy) {
  const auto outcome = verify(GetParam().token);
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(error_info(outcome.failure().error).code, 90002);
  EXPECT_NE(outcome.failure().message.find(GetParam().message), std::string::npos)
      << outcome.failure().message;
}

std::string with_exp(std::int64_t exp, std::string_view extra = "") {
  return signed_token(hs256,
                      R"({"sub":"user-1","exp":)" + std::to_string(exp) + std::string(extra) + "}");
}

// A token whose signature is over another header than the one it carries.
std::string signature_over_another_header() {
  const std::string honest = signed_token(R"({"alg":"HS256","typ":"JWT","kid":"a"})", claims(""));
  const std::string other = base64url_encode(R"({"alg":"HS256","typ":"JWT","kid":"b"})");
  return other + honest.substr(honest.find('.'));
}

// RS/HS confusion: an RS256 header, "signed" with the HMAC of the shared secret
// as an attacker holding a public key would.
std::string rs256_signed_with_the_secret() {
  return signed_token(R"({"alg":"RS256","typ":"JWT"})", claims(""));
}

std::string tampered_payload() {
  std::string token = signed_token(hs256, claims(""));
  const auto dot = token.find('.');
  token[dot + 3] = token[dot + 3] == 'A' ? 'B' : 'A';
  return token;
}

INSTANTIATE_TEST_SUITE_P(
    Table, JwtRejectTest,
    ::testing::Values(
        RejectCase{"Empty", "", "missing"}, RejectCase{"NoDots", "abcdef", "malformed"},
        RejectCase{"OneDot", "abc.def", "malformed"},
        RejectCase{"WrongSecret", signed_token(hs256, claims(""), "other-secret"), "bad signature"},
        RejectCase{"TamperedPayload", tampered_payload(), "bad signature"},
        RejectCase{"SignatureNotBase64", signed_token(hs256, claims("")) + "!", "bad signature"},
        RejectCase{"HeaderNotBase64", signed_raw("e30*", base64url_encode(claims(""))),
                   "malformed"},
        RejectCase{"PayloadNotBase64", signed_raw(base64url_encode(hs256), "e30*"), "malformed"},
        RejectCase{"HeaderNotJson", signed_token("not json", claims("")), "malformed"},
        RejectCase{"PayloadNotJson", signed_token(hs256, "not json"), "malformed"},
        RejectCase{"AlgNone", signed_token(R"({"alg":"none"})", claims("")), "HS256"},
        RejectCase{"AlgHs512", signed_token(R"({"alg":"HS512"})", claims("")), "HS256"},
        RejectCase{"AlgMissing", signed_token(R"({"typ":"JWT"})", claims("")), "HS256"},
        RejectCase{"AlgNoneUnsigned",
                   base64url_encode(R"({"alg":"none"})") + "." + base64url_encode(claims("")) + ".",
                   "bad signature"},
        RejectCase{"AlgRs256WithTheSecret", rs256_signed_with_the_secret(), "HS256"},
        RejectCase{"SignatureOverAnotherHeader", signature_over_another_header(), "bad signature"},
        RejectCase{"HugeToken",
                   signed_token(hs256, claims(R"(,"pad":")" + std::string(9000, 'x') + R"(")")),
                   "too large"},
        RejectCase{"ExpString",
                   signed_token(hs256, R"({"sub":"user-1","exp":")" + std::to_string(now_s + 60) +
                                           R"("})"),
                   "exp missing"},
        RejectCase{"SubMissing",
                   signed_token(hs256, R"({"exp":)" + std::to_string(now_s + 60) + "}"),
                   "sub missing"},
        RejectCase{"SubEmpty",
                   signed_token(hs256, R"({"sub":"","exp":)" + std::to_string(now_s + 60) + "}"),
                   "sub missing"},
        RejectCase{"SubNotAString",
                   signed_token(hs256, R"({"sub":42,"exp":)" + std::to_string(now_s + 60) + "}"),
                   "sub missing"},
        RejectCase{"ExpMissing", signed_token(hs256, R"({"sub":"user-1"})"), "exp missing"},
        RejectCase{"ExpiredBeyondLeeway", with_exp(now_s - 61), "expired"},
        RejectCase{"NotBeforeInTheFuture",
                   with_exp(now_s + 3600, R"(,"nbf":)" + std::to_string(now_s + 61)),
                   "not yet valid"},
        RejectCase{"NotBeforeMalformed", with_exp(now_s + 3600, R"(,"nbf":"soon")"), "nbf"},
        // Found by tools/fuzz.sh: a huge exp or nbf must not be converted unchecked.
        RejectCase{"ExpBeyondInt64",
                   signed_token(hs256, R"({"sub":"user-1","exp":10070036003400007201})"),
                   "exp out of range"},
        RejectCase{"NotBeforeBeyondInt64", with_exp(now_s + 3600, R"(,"nbf":1e300)"),
                   "nbf malformed"},
        RejectCase{"PrimeString", with_exp(now_s + 3600, R"(,"prime":"true")"),
                   "prime must be a boolean"},
        RejectCase{"PrimeNumber", with_exp(now_s + 3600, R"(,"prime":1)"),
                   "prime must be a boolean"}),
    [](const auto& info) { return info.param.name; });

struct TimeCase {
  std::string name;
  std::string token;
};

class JwtWithinLeewayTest : public ::testing::TestWithParam<TimeCase> {};

TEST_P(JwtWithinLeewayTest, Accepts) {
  const auto outcome = verify(GetParam().token);
  EXPECT_TRUE(outcome.ok()) << outcome.failure().message;
}

INSTANTIATE_TEST_SUITE_P(
    Table, JwtWithinLeewayTest,
    ::testing::Values(TimeCase{"ExpiredWithinLeeway", with_exp(now_s - 30)},
                      TimeCase{"ExpiredExactlyAtLeeway", with_exp(now_s - 60)},
                      TimeCase{"NotBeforeWithinLeeway",
                               with_exp(now_s + 3600, R"(,"nbf":)" + std::to_string(now_s + 60))},
                      TimeCase{
                          "NotBeforeInThePast",
                          with_exp(now_s + 3600, R"(,"nbf":)" + std::to_string(now_s - 1000))}),
    [](const auto& info) { return info.param.name; });

TEST(JwtTest, LeewayIsConfigurable) {
  const std::string token = with_exp(now_s - 30);
  EXPECT_FALSE(verify_token(token, secret, 0s, now_ms).ok());
  EXPECT_TRUE(verify_token(token, secret, 30s, now_ms).ok());
}

}  // namespace
}  // namespace primesync::auth
