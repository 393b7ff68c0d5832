#include "protocol/request_parser.hpp"
#include "pathological_bodies.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace primesync::protocol {
namespace {

// A body with the readable padding the fast overloads require.
class PaddedBody {
 public:
  explicit PaddedBody(std::string_view json) : storage_(json) {
    storage_.resize(json.size() + RequestParser::padding, '\0');
    size_ = json.size();
  }
  [[nodiscard]] std::string_view view() const { return {storage_.data(), size_}; }

 private:
  std::string storage_;
  std::size_t size_ = 0;
};

enum class Op { check, upload, download, flush, change_lock };

const char* op_name(Op op) {
  switch (op) {
    case Op::check:
      return "check";
    case Op::upload:
      return "upload";
    case Op::download:
      return "download";
    case Op::flush:
      return "flush";
    case Op::change_lock:
      return "change_lock";
  }
  return "?";
}

// Parses with the copying overload and reduces the outcome to a Failure (Error::ok
// on success), so one table can cover every operation.
Failure parse_failure(Op op, std::string_view body, ParseLimits limits = {}) {
  RequestParser parser(limits);
  const auto to_failure = [](const auto& outcome) {
    return outcome.ok() ? Failure{Error::ok, "ok"} : outcome.failure();
  };
  switch (op) {
    case Op::check:
      return to_failure(parser.parse_check(body, copy_body));
    case Op::upload:
      return to_failure(parser.parse_upload(body, copy_body));
    case Op::download:
      return to_failure(parser.parse_download(body, copy_body));
    case Op::flush:
      return to_failure(parser.parse_flush(body, copy_body));
    case Op::change_lock:
      return to_failure(parser.parse_change_lock(body, copy_body));
  }
  return {};
}

std::string item_json(std::string_view extra = "") {
  std::string json =
      R"({"key":"k1","dataType":"Wallet","data":"abc","dataTimestamp":1700000000000)";
  if (!extra.empty()) {
    json += ',';
    json += extra;
  }
  json += '}';
  return json;
}

// ---------------------------------------------------------------- check

TEST(ParseCheck, MinimalBodyUsesDefaults) {
  RequestParser parser;
  auto request = parser.parse_check(R"({"pwdHash":"","localData":[]})", copy_body);
  ASSERT_TRUE(request.ok()) << request.failure().message;
  EXPECT_TRUE(request->local_data.empty());
  EXPECT_TRUE(request->only_check_local_data_type.empty());
  EXPECT_EQ(request->pwd_hash, "");
  EXPECT_EQ(request->nonce, 0);
}

TEST(ParseCheck, RealClientBodyWithExtraFields) {
  // What the OneKey app sends: a pwdHash on every item, $$dataTimestampStr, extra
  // top-level fields, entries without (or with null) timestamps.
  const PaddedBody body(R"({
    "localData": [
      {"key": "aa", "dataType": "Wallet", "dataTimestamp": 1700000000123,
       "pwdHash": "p-1", "$$dataTimestampStr": "2023-11-14", "extra": {"deep": [1, {"x": null}]}},
      {"key": "bb", "dataType": "Account", "dataTimestamp": null},
      {"key": "cc", "dataType": "Lock", "isDeleted": true}
    ],
    "onlyCheckLocalDataType": ["Wallet", "Account"],
    "pwdHash": "p-1",
    "nonce": 0,
    "appVersion": "5.0.0",
    "flags": [true, false, null, 1.5e3, "x"]
  })");
  RequestParser parser;
  auto request = parser.parse_check(body.view());
  ASSERT_TRUE(request.ok()) << request.failure().message;
  ASSERT_EQ(request->local_data.size(), 3U);
  EXPECT_EQ(request->local_data[0].key, "aa");
  EXPECT_EQ(request->local_data[0].data_type, "Wallet");
  EXPECT_EQ(request->local_data[0].data_timestamp, 1700000000123);
  EXPECT_EQ(request->local_data[1].key, "bb");
  EXPECT_EQ(request->local_data[1].data_timestamp, std::nullopt);
  EXPECT_EQ(request->local_data[2].data_timestamp, std::nullopt);
  EXPECT_EQ(request->only_check_local_data_type,
            (std::vector<std::string_view>{"Wallet", "Account"}));
  EXPECT_EQ(request->pwd_hash, "p-1");
  EXPECT_EQ(request->nonce, 0);
}

TEST(ParseCheck, NullsMeanAbsent) {
  RequestParser parser;
  auto request = parser.parse_check(
      R"({"localData":[{"key":"a","dataType":"b","dataTimestamp":null,"isDeleted":null}],
          "onlyCheckLocalDataType":null,"pwdHash":"","nonce":null})",
      copy_body);
  ASSERT_TRUE(request.ok()) << request.failure().message;
  EXPECT_EQ(request->local_data.size(), 1U);
  EXPECT_TRUE(request->only_check_local_data_type.empty());
  EXPECT_EQ(request->pwd_hash, "");
  EXPECT_EQ(request->nonce, 0);
}

TEST(ParseCheck, ViewsPointIntoTheBodyWhenUnescaped) {
  const PaddedBody body(R"({"pwdHash":"","localData":[{"key":"k-plain","dataType":"Wallet"}],
                            "onlyCheckLocalDataType":["Account"]})");
  RequestParser parser;
  auto request = parser.parse_check(body.view());
  ASSERT_TRUE(request.ok()) << request.failure().message;
  const auto inside_body = [&](std::string_view view) {
    return view.data() >= body.view().data() &&
           view.data() + view.size() <= body.view().data() + body.view().size();
  };
  EXPECT_TRUE(inside_body(request->local_data[0].key));
  EXPECT_TRUE(inside_body(request->local_data[0].data_type));
  EXPECT_TRUE(inside_body(request->only_check_local_data_type[0]));
}

TEST(ParseCheck, EscapedStringsAreUnescaped) {
  // "k\u0065y" as a field name is "key"; escaped values land in the parser's buffer
  // and stay valid until the next parse.
  const PaddedBody body(
      R"({"pwdHash":"","localData":[{"k\u0065y":"a\u00e9\"b\\c\/d","dataType":"W\u0061llet",)"
      R"("dataTimestamp":5}],)"
      R"("onlyCheckLocalDataType":["Acc\u006funt"],"pwd\u0048ash":"x\ty"})");
  RequestParser parser;
  auto request = parser.parse_check(body.view());
  ASSERT_TRUE(request.ok()) << request.failure().message;
  ASSERT_EQ(request->local_data.size(), 1U);
  EXPECT_EQ(request->local_data[0].key, "a\xc3\xa9\"b\\c/d");
  EXPECT_EQ(request->local_data[0].data_type, "Wallet");
  EXPECT_EQ(request->local_data[0].data_timestamp, 5);
  EXPECT_EQ(request->only_check_local_data_type[0], "Account");
  EXPECT_EQ(request->pwd_hash, "x\ty");
}

TEST(ParseCheck, SurrogatePairEscape) {
  RequestParser parser;
  auto request = parser.parse_check(
      R"({"pwdHash":"","localData":[{"key":"\ud83d\ude00","dataType":"W"}]})", copy_body);
  ASSERT_TRUE(request.ok()) << request.failure().message;
  EXPECT_EQ(request->local_data[0].key, "\xf0\x9f\x98\x80");
}

TEST(ParseCheck, DuplicateKeysAcrossEntriesAreKept) {
  RequestParser parser;
  auto request = parser.parse_check(
      R"({"pwdHash":"","localData":[{"key":"a","dataType":"W","dataTimestamp":1},
                       {"key":"a","dataType":"W","dataTimestamp":2}]})",
      copy_body);
  ASSERT_TRUE(request.ok()) << request.failure().message;
  EXPECT_EQ(request->local_data.size(), 2U);
}

TEST(ParseCheck, DuplicateFieldLastWins) {
  RequestParser parser;
  auto request =
      parser.parse_check(R"({"pwdHash":"","localData":[],"nonce":3,"nonce":null,"pwdHash":"a",
                                        "pwdHash":"b"})",
                         copy_body);
  ASSERT_TRUE(request.ok()) << request.failure().message;
  EXPECT_EQ(request->nonce, 0);
  EXPECT_EQ(request->pwd_hash, "b");
}

TEST(ParseCheck, IntegerBounds) {
  RequestParser parser;
  auto request = parser.parse_check(
      R"({"pwdHash":"","localData":[{"key":"a","dataType":"W","dataTimestamp":9007199254740992},
                       {"key":"b","dataType":"W","dataTimestamp":0},
                       {"key":"c","dataType":"W","dataTimestamp":-0}],"nonce":12})",
      copy_body);
  ASSERT_TRUE(request.ok()) << request.failure().message;
  EXPECT_EQ(request->local_data[0].data_timestamp, std::int64_t{1} << 53);
  EXPECT_EQ(request->local_data[1].data_timestamp, 0);
  EXPECT_EQ(request->local_data[2].data_timestamp, 0);
  EXPECT_EQ(request->nonce, 12);
}

TEST(ParseCheck, LengthBoundsAreInclusive) {
  const std::string key(256, 'k');
  const std::string type(64, 't');
  RequestParser parser;
  auto request = parser.parse_check(
      R"({"pwdHash":"","localData":[{"key":")" + key + R"(","dataType":")" + type + R"("}]})",
      copy_body);
  ASSERT_TRUE(request.ok()) << request.failure().message;
  EXPECT_EQ(request->local_data[0].key.size(), 256U);
}

TEST(ParseCheck, ParserIsReusable) {
  RequestParser parser;
  for (int round = 0; round < 3; ++round) {
    const std::string json = R"({"pwdHash":"","localData":[{"key":"r)" + std::to_string(round) +
                             R"(","dataType":"W"}],"nonce":)" + std::to_string(round) + "}";
    const PaddedBody body(json);
    auto request = parser.parse_check(body.view());
    ASSERT_TRUE(request.ok()) << request.failure().message;
    EXPECT_EQ(request->local_data[0].key, std::string("r").append(std::to_string(round)));
    EXPECT_EQ(request->nonce, round);
    EXPECT_FALSE(parser.parse_check("[]", copy_body).ok());
  }
}

TEST(ParseCheck, ItemCountLimitIsInclusive) {
  RequestParser parser(ParseLimits{.max_items = 2, .max_item_bytes = 16});
  EXPECT_TRUE(parser
                  .parse_check(R"({"pwdHash":"","localData":[{"key":"a","dataType":"W"},
                                                {"key":"b","dataType":"W"}]})",
                               copy_body)
                  .ok());
}

TEST(ParseLimitsTest, FromConfig) {
  LimitsConfig config;
  config.max_items_per_request = 7;
  config.max_item_bytes = 9;
  const ParseLimits limits = ParseLimits::from(config);
  EXPECT_EQ(limits.max_items, 7U);
  EXPECT_EQ(limits.max_item_bytes, 9U);
}

// ---------------------------------------------------------------- upload

TEST(ParseUpload, ItemsAreOwnedAndComplete) {
  RequestParser parser;
  Outcome<UploadRequest> request = [&] {
    const PaddedBody body(R"({"pwdHash":"","localData":[
        {"key":"k1","dataType":"Wallet","data":"","dataTimestamp":1,"pwdHash":"p"},
        {"key":"k2","dataType":"Account","data":"a\"b\\c\n\u0001","dataTimestamp":2,
         "isDeleted":true,"$$dataTimestampStr":"2"},
        {"key":"k3","dataType":"Lock","data":"x","dataTimestamp":3,"isDeleted":null}],
      "pwdHash":"p","nonce":4})");
    return parser.parse_upload(body.view());  // the body dies here: items own their strings
  }();
  ASSERT_TRUE(request.ok()) << request.failure().message;
  ASSERT_EQ(request->local_data.size(), 3U);
  EXPECT_EQ(request->local_data[0], (Item{"k1", "Wallet", "", 1, false}));
  EXPECT_EQ(request->local_data[1], (Item{"k2", "Account", "a\"b\\c\n\x01", 2, true}));
  EXPECT_EQ(request->local_data[2], (Item{"k3", "Lock", "x", 3, false}));
  EXPECT_EQ(request->pwd_hash, "p");
  EXPECT_EQ(request->nonce, 4);
}

TEST(ParseUpload, DataAtTheSizeLimitIsAccepted) {
  RequestParser parser(ParseLimits{.max_items = 10, .max_item_bytes = 4});
  auto request = parser.parse_upload(
      R"({"pwdHash":"","localData":[{"key":"k","dataType":"W","data":"abcd","dataTimestamp":1}]})",
      copy_body);
  ASSERT_TRUE(request.ok()) << request.failure().message;
  EXPECT_EQ(request->local_data[0].data, "abcd");
}

// ---------------------------------------------------------------- download

TEST(ParseDownload, APwdHashAloneIsValid) {
  for (std::string_view body : {R"({"pwdHash":""})", R"( { "pwdHash" : "" } )"}) {
    RequestParser parser;
    auto request = parser.parse_download(body, copy_body);
    ASSERT_TRUE(request.ok()) << "'" << body << "': " << request.failure().message;
    EXPECT_EQ(request->pwd_hash, "");
    EXPECT_FALSE(request->include_deleted);
    EXPECT_EQ(request->skip, 0U);
    EXPECT_EQ(request->limit, 0U);
    EXPECT_EQ(request->after, std::nullopt);
  }
}

TEST(ParseDownload, AllFields) {
  RequestParser parser;
  auto request = parser.parse_download(
      R"({"pwdHash":"p","includeDeleted":true,"skip":5,"limit":100,"after":"k9","x":1})",
      copy_body);
  ASSERT_TRUE(request.ok()) << request.failure().message;
  EXPECT_EQ(request->pwd_hash, "p");
  EXPECT_TRUE(request->include_deleted);
  EXPECT_EQ(request->skip, 5U);
  EXPECT_EQ(request->limit, 100U);
  EXPECT_EQ(request->after, "k9");
}

TEST(ParseDownload, StartIsTheClientsNameForSkip) {
  RequestParser parser;
  auto start_only = parser.parse_download(R"({"pwdHash":"","start":7})", copy_body);
  ASSERT_TRUE(start_only.ok());
  EXPECT_EQ(start_only->skip, 7U);
  auto both = parser.parse_download(R"({"pwdHash":"","start":7,"skip":3})", copy_body);
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->skip, 3U);
  auto both_reversed = parser.parse_download(R"({"pwdHash":"","skip":3,"start":7})", copy_body);
  ASSERT_TRUE(both_reversed.ok());
  EXPECT_EQ(both_reversed->skip, 3U);
  auto null_skip = parser.parse_download(R"({"pwdHash":"","skip":null,"start":7})", copy_body);
  ASSERT_TRUE(null_skip.ok());
  EXPECT_EQ(null_skip->skip, 7U);
}

TEST(ParseDownload, NullsMeanAbsent) {
  RequestParser parser;
  auto request = parser.parse_download(
      R"({"pwdHash":"","includeDeleted":null,"skip":null,"start":null,"limit":null,
          "after":null})",
      copy_body);
  ASSERT_TRUE(request.ok()) << request.failure().message;
  EXPECT_EQ(request->after, std::nullopt);
  EXPECT_FALSE(request->include_deleted);
}

// ---------------------------------------------------------------- flush

TEST(ParseFlush, EmptyObjectIsAReset) {
  RequestParser parser;
  auto request = parser.parse_flush(R"({"pwdHash":"","localData":[],"lock":null})", copy_body);
  ASSERT_TRUE(request.ok()) << request.failure().message;
  EXPECT_TRUE(request->local_data.empty());
  EXPECT_EQ(request->lock, std::nullopt);
  EXPECT_EQ(request->pwd_hash, "");
  EXPECT_EQ(request->nonce, 0);
  EXPECT_TRUE(parser.parse_flush(R"({"localData":[]})", copy_body).ok());  // pwdHash optional
}

TEST(ParseFlush, ItemsAndLock) {
  RequestParser parser;
  auto request = parser.parse_flush(R"({"pwdHash":"","localData":[)" + item_json() +
                                        R"(],"pwdHash":"p","nonce":2,"lock":)" +
                                        item_json(R"("isDeleted":false,"pwdHash":"p")") + "}",
                                    copy_body);
  ASSERT_TRUE(request.ok()) << request.failure().message;
  const Item expected{"k1", "Wallet", "abc", 1700000000000, false};
  ASSERT_EQ(request->local_data.size(), 1U);
  EXPECT_EQ(request->local_data[0], expected);
  EXPECT_EQ(request->lock, expected);
  EXPECT_EQ(request->pwd_hash, "p");
  EXPECT_EQ(request->nonce, 2);
}

// ---------------------------------------------------------------- change lock

TEST(ParseChangeLock, LockAndPassword) {
  RequestParser parser;
  auto request = parser.parse_change_lock(
      R"({"lock":)" + item_json() + R"(,"pwdHash":"new","x":[]})", copy_body);
  ASSERT_TRUE(request.ok()) << request.failure().message;
  EXPECT_EQ(request->lock, (Item{"k1", "Wallet", "abc", 1700000000000, false}));
  EXPECT_EQ(request->pwd_hash, "new");
}

// ---------------------------------------------------------------- errors

struct ErrorCase {
  Op op;
  std::string body;
  Error error;
  std::string message;
};

void PrintTo(const ErrorCase& c, std::ostream* os) {
  *os << op_name(c.op) << " " << c.body;
}

class ParseErrors : public testing::TestWithParam<ErrorCase> {};

TEST_P(ParseErrors, ReportsFieldAndProblem) {
  const ErrorCase& c = GetParam();
  const Failure failure =
      parse_failure(c.op, c.body, ParseLimits{.max_items = 3, .max_item_bytes = 8});
  EXPECT_EQ(failure.error, c.error);
  EXPECT_EQ(failure.message, c.message);
  // The padded fast path must agree with the copying one.
  RequestParser parser(ParseLimits{.max_items = 3, .max_item_bytes = 8});
  const PaddedBody body(c.body);
  if (c.op == Op::check) {
    auto outcome = parser.parse_check(body.view());
    ASSERT_FALSE(outcome.ok());
    EXPECT_EQ(outcome.failure().message, c.message);
  }
}

constexpr auto bad = Error::bad_request;

std::string check_entry(std::string_view fields) {
  return R"({"localData":[{"key":"a","dataType":"W"},{)" + std::string(fields) + "}]}";
}
std::string upload_item(std::string_view fields) {
  return R"({"localData":[{)" + std::string(fields) + "}]}";
}
const std::string valid_item_fields = R"("key":"k","dataType":"W","data":"d","dataTimestamp":1)";

INSTANTIATE_TEST_SUITE_P(
    Body, ParseErrors,
    testing::Values(
        ErrorCase{Op::check, "", bad, "body: expected object"},
        ErrorCase{Op::check, "  ", bad, "body: expected object"},
        ErrorCase{Op::check, "[]", bad, "body: expected object"},
        ErrorCase{Op::check, "42", bad, "body: expected object"},
        ErrorCase{Op::check, R"("x")", bad, "body: expected object"},
        ErrorCase{Op::check, "null", bad, "body: expected object"},
        ErrorCase{Op::download, "[]", bad, "body: expected object"},
        ErrorCase{Op::check, "{", bad, "body: malformed JSON"},
        ErrorCase{Op::check, " \n{} \n", bad, "localData: required"},
        ErrorCase{Op::check, "}", bad, "body: malformed JSON"},
        ErrorCase{Op::check, R"({"localData":[])", bad, "body: malformed JSON"},
        ErrorCase{Op::check, R"({"localData":[]} x)", bad, "body: malformed JSON"},
        ErrorCase{Op::check, R"({"localData":[]}{})", bad, "body: malformed JSON"},
        ErrorCase{Op::check, R"({"localData":[]},)", bad, "body: malformed JSON"},
        ErrorCase{Op::check, R"({"localData":[],})", bad, "body: malformed JSON"},
        ErrorCase{Op::check, R"({"localData" []})", bad, "body: malformed JSON"},
        ErrorCase{Op::check, R"({"localData":[] "nonce":1})", bad, "body: malformed JSON"},
        ErrorCase{Op::check, R"({"localData":[,]})", bad, "localData[0]: malformed JSON"},
        ErrorCase{Op::check, R"({"localData":[{"key":"a","dataType":"W"},]})", bad,
                  "localData[1]: malformed JSON"},
        ErrorCase{Op::check, R"({"localData":[],"x":[1 2]})", bad, "x: malformed JSON"},
        ErrorCase{Op::check, R"({"localData":[],"x":{"a":01}})", bad, "x.a: malformed JSON"},
        ErrorCase{Op::check, R"({"localData":[],"x":{"a":[tru]}})", bad, "x.a[0]: malformed JSON"},
        ErrorCase{Op::check, R"({"localData":[],"x":"\q"})", bad, "x: malformed JSON"},
        ErrorCase{Op::check, R"({"localData":[],"x":nul})", bad, "x: malformed JSON"},
        ErrorCase{Op::check, R"({"localData":[],"x":1.})", bad, "x: malformed JSON"},
        ErrorCase{Op::check, R"({"localData":[],"x":+1})", bad, "x: malformed JSON"},
        ErrorCase{Op::check, "{\"localData\":[],\"x\":\"\xff\"}", bad, "body: invalid UTF-8"},
        ErrorCase{Op::check, "{\"localData\":[],\"x\":\"\xc3\x28\"}", bad, "body: invalid UTF-8"},
        // check fields
        ErrorCase{Op::check, "{}", bad, "localData: required"},
        ErrorCase{Op::check, R"({"localData":null})", bad, "localData: required"},
        ErrorCase{Op::check, R"({"localData":{}})", bad, "localData: expected array"},
        ErrorCase{Op::check, R"({"localData":"[]"})", bad, "localData: expected array"},
        ErrorCase{Op::check, R"({"localData":[1]})", bad, "localData[0]: expected object"},
        ErrorCase{Op::check, R"({"localData":[null]})", bad, "localData[0]: expected object"},
        ErrorCase{Op::check,
                  R"({"localData":[{"key":"a","dataType":"W"},{"key":"b","dataType":"W"},)"
                  R"({"key":"c","dataType":"W"},{"key":"d","dataType":"W"}]})",
                  Error::payload_too_large, "localData: more than 3 items"},
        // Elements are read as they come: a bad one before the limit is reported first.
        ErrorCase{Op::check, R"({"localData":[{},{},{},{}]})", bad, "localData[0].key: required"},
        ErrorCase{Op::check, R"({"localData":[],"onlyCheckLocalDataType":[1]})", bad,
                  "onlyCheckLocalDataType[0]: expected string"},
        ErrorCase{Op::check, R"({"localData":[],"onlyCheckLocalDataType":[null]})", bad,
                  "onlyCheckLocalDataType[0]: expected string"},
        ErrorCase{Op::check, R"({"localData":[],"onlyCheckLocalDataType":"Wallet"})", bad,
                  "onlyCheckLocalDataType: expected array"},
        ErrorCase{Op::check, R"({"localData":[],"onlyCheckLocalDataType":["a","b","c","d"]})",
                  Error::payload_too_large, "onlyCheckLocalDataType: more than 3 items"},
        ErrorCase{Op::check, R"({"localData":[],"pwdHash":5})", bad, "pwdHash: expected string"},
        ErrorCase{Op::check, R"({"localData":[],"pwdHash":{}})", bad, "pwdHash: expected string"},
        ErrorCase{Op::check, R"({"localData":[],"nonce":-1})", bad, "nonce: must not be negative"},
        ErrorCase{Op::check, R"({"localData":[],"nonce":1.5})", bad, "nonce: expected integer"},
        ErrorCase{Op::check, R"({"localData":[],"nonce":"0"})", bad, "nonce: expected integer"},
        // check entries
        ErrorCase{Op::check, check_entry(R"("dataType":"W")"), bad, "localData[1].key: required"},
        ErrorCase{Op::check, check_entry(R"("key":null,"dataType":"W")"), bad,
                  "localData[1].key: required"},
        ErrorCase{Op::check, check_entry(R"("key":"","dataType":"W")"), bad,
                  "localData[1].key: must be 1..256 bytes"},
        ErrorCase{Op::check,
                  check_entry(R"("key":")" + std::string(257, 'k') + R"(","dataType":"W")"), bad,
                  "localData[1].key: must be 1..256 bytes"},
        ErrorCase{Op::check, check_entry(R"("key":5,"dataType":"W")"), bad,
                  "localData[1].key: expected string"},
        ErrorCase{Op::check, check_entry(R"("key":["a"],"dataType":"W")"), bad,
                  "localData[1].key: expected string"},
        ErrorCase{Op::check, check_entry(R"("key":tru,"dataType":"W")"), bad,
                  "localData[1].key: malformed JSON"},
        ErrorCase{Op::check, check_entry(R"("key":"a")"), bad, "localData[1].dataType: required"},
        ErrorCase{Op::check, check_entry(R"("key":"a","dataType":"")"), bad,
                  "localData[1].dataType: must be 1..64 bytes"},
        ErrorCase{Op::check,
                  check_entry(R"("key":"a","dataType":")" + std::string(65, 't') + R"(")"), bad,
                  "localData[1].dataType: must be 1..64 bytes"},
        ErrorCase{Op::check, check_entry(R"("key":"a","dataType":"W","dataTimestamp":1.0)"), bad,
                  "localData[1].dataTimestamp: expected integer"},
        ErrorCase{Op::check, check_entry(R"("key":"a","dataType":"W","dataTimestamp":1e3)"), bad,
                  "localData[1].dataTimestamp: expected integer"},
        ErrorCase{Op::check, check_entry(R"("key":"a","dataType":"W","dataTimestamp":1E+3)"), bad,
                  "localData[1].dataTimestamp: expected integer"},
        ErrorCase{Op::check, check_entry(R"("key":"a","dataType":"W","dataTimestamp":-1)"), bad,
                  "localData[1].dataTimestamp: must not be negative"},
        ErrorCase{Op::check,
                  check_entry(R"("key":"a","dataType":"W","dataTimestamp":9007199254740993)"), bad,
                  "localData[1].dataTimestamp: must be at most 9007199254740992"},
        ErrorCase{Op::check,
                  check_entry(
                      R"("key":"a","dataType":"W","dataTimestamp":123456789012345678901234567890)"),
                  bad, "localData[1].dataTimestamp: must be at most 9007199254740992"},
        ErrorCase{Op::check, check_entry(R"("key":"a","dataType":"W","dataTimestamp":"123")"), bad,
                  "localData[1].dataTimestamp: expected integer"},
        ErrorCase{Op::check, check_entry(R"("key":"a","dataType":"W","dataTimestamp":true)"), bad,
                  "localData[1].dataTimestamp: expected integer"},
        ErrorCase{Op::check, check_entry(R"("key":"a","dataType":"W","dataTimestamp":0123)"), bad,
                  "localData[1].dataTimestamp: malformed JSON"},
        ErrorCase{Op::check, check_entry(R"("key":"a","dataType":"W","dataTimestamp":12ab)"), bad,
                  "localData[1].dataTimestamp: malformed JSON"},
        ErrorCase{Op::check, check_entry(R"("key":"a","dataType":"W","isDeleted":"true")"), bad,
                  "localData[1].isDeleted: expected boolean"},
        ErrorCase{Op::check, check_entry(R"("key":"a","dataType":"W","isDeleted":1)"), bad,
                  "localData[1].isDeleted: expected boolean"},
        ErrorCase{Op::check, check_entry(R"("key":"a","dataType":"W","isDeleted":fals)"), bad,
                  "localData[1].isDeleted: malformed JSON"},
        ErrorCase{Op::check, check_entry(R"("key":"a","dataType":"W","isDeleted":truex)"), bad,
                  "localData[1].isDeleted: malformed JSON"},
        // upload
        ErrorCase{Op::upload, R"({"pwdHash":"p"})", bad, "localData: required"},
        ErrorCase{Op::upload, upload_item(R"("key":"k","dataType":"W","dataTimestamp":1)"), bad,
                  "localData[0].data: required"},
        ErrorCase{Op::upload,
                  upload_item(R"("key":"k","dataType":"W","data":null,"dataTimestamp":1)"), bad,
                  "localData[0].data: required"},
        ErrorCase{Op::upload, upload_item(R"("key":"k","dataType":"W","data":1,"dataTimestamp":1)"),
                  bad, "localData[0].data: expected string"},
        ErrorCase{Op::upload,
                  upload_item(R"("key":"k","dataType":"W","data":"123456789","dataTimestamp":1)"),
                  bad, "localData[0].data: must be at most 8 bytes"},
        ErrorCase{Op::upload, upload_item(R"("key":"k","dataType":"W","data":"d")"), bad,
                  "localData[0].dataTimestamp: required"},
        ErrorCase{Op::upload,
                  upload_item(R"("key":"k","dataType":"W","data":"d","dataTimestamp":null)"), bad,
                  "localData[0].dataTimestamp: required"},
        ErrorCase{Op::upload, upload_item(valid_item_fields + R"(,"isDeleted":"no")"), bad,
                  "localData[0].isDeleted: expected boolean"},
        ErrorCase{Op::upload, R"({"localData":[],"nonce":1e2})", bad, "nonce: expected integer"},
        ErrorCase{Op::upload,
                  "{\"localData\":[{" + valid_item_fields + "},{" + valid_item_fields + "},{" +
                      valid_item_fields + "},{" + valid_item_fields + "}]}",
                  Error::payload_too_large, "localData: more than 3 items"},
        // download
        ErrorCase{Op::download, R"({"skip":"1"})", bad, "skip: expected integer"},
        ErrorCase{Op::download, R"({"start":-5})", bad, "start: must not be negative"},
        ErrorCase{Op::download, R"({"limit":2.5})", bad, "limit: expected integer"},
        ErrorCase{Op::download, R"({"includeDeleted":"yes"})", bad,
                  "includeDeleted: expected boolean"},
        ErrorCase{Op::download, R"({"after":1})", bad, "after: expected string"},
        ErrorCase{Op::download, R"({"pwdHash":false})", bad, "pwdHash: expected string"},
        ErrorCase{Op::download, "{} x", bad, "body: malformed JSON"},
        // flush
        ErrorCase{Op::flush, R"({"lock":5})", bad, "lock: expected object"},
        ErrorCase{Op::flush, R"({"lock":{"key":"k","dataType":"Lock","data":"d"}})", bad,
                  "lock.dataTimestamp: required"},
        ErrorCase{Op::flush, R"({"localData":{}})", bad, "localData: expected array"},
        ErrorCase{Op::flush, upload_item(R"("key":"k","data":"d","dataTimestamp":1)"), bad,
                  "localData[0].dataType: required"},
        ErrorCase{Op::flush, R"({"nonce":true})", bad, "nonce: expected integer"},
        // change lock
        ErrorCase{Op::change_lock, R"({"pwdHash":"p"})", bad, "lock: required"},
        ErrorCase{Op::change_lock, R"({"lock":null,"pwdHash":"p"})", bad, "lock: required"},
        ErrorCase{Op::change_lock, R"({"lock":{)" + valid_item_fields + "}}", bad,
                  "pwdHash: required"},
        ErrorCase{Op::change_lock, R"({"lock":{)" + valid_item_fields + R"(},"pwdHash":null})", bad,
                  "pwdHash: required"},
        ErrorCase{Op::change_lock, R"({"lock":{)" + valid_item_fields + R"(},"pwdHash":""})", bad,
                  "pwdHash: must not be empty"},
        ErrorCase{Op::change_lock, R"({"lock":{"key":"k","dataType":"W","dataTimestamp":1},
                                       "pwdHash":"p"})",
                  bad, "lock.data: required"},
        ErrorCase{Op::change_lock, R"({"lock":[],"pwdHash":"p"})", bad, "lock: expected object"}));

// Every required field of PROTOCOL.md §3/§4, absent (or null: absent), is a shape
// error naming it, whatever else the body holds; a malformed body is reported first.
INSTANTIATE_TEST_SUITE_P(
    RequiredFields, ParseErrors,
    testing::Values(
        ErrorCase{Op::check, R"({"localData":[]})", bad, "pwdHash: required"},
        ErrorCase{Op::check, R"({"localData":[],"pwdHash":null,"nonce":0})", bad,
                  "pwdHash: required"},
        ErrorCase{Op::check, R"({"pwdHash":""})", bad, "localData: required"},
        ErrorCase{Op::check, R"({"localData":null,"pwdHash":""})", bad, "localData: required"},
        ErrorCase{Op::check, R"({"pwdHash":"","localData":[{"dataType":"W"}]})", bad,
                  "localData[0].key: required"},
        ErrorCase{Op::check, R"({"localData":[]}{})", bad, "body: malformed JSON"},
        ErrorCase{Op::upload, R"({"localData":[]})", bad, "pwdHash: required"},
        ErrorCase{Op::upload, R"({"pwdHash":""})", bad, "localData: required"},
        ErrorCase{Op::upload,
                  R"({"pwdHash":"","localData":[{"key":"k","data":"d","dataTimestamp":1}]})", bad,
                  "localData[0].dataType: required"},
        ErrorCase{Op::upload,
                  R"({"pwdHash":"","localData":[{"key":"k","dataType":"W","dataTimestamp":1}]})",
                  bad, "localData[0].data: required"},
        ErrorCase{Op::upload,
                  R"({"pwdHash":"","localData":[{"key":"k","dataType":"W","data":"d"}]})", bad,
                  "localData[0].dataTimestamp: required"},
        ErrorCase{Op::download, "{}", bad, "pwdHash: required"},
        ErrorCase{Op::download, R"({"pwdHash":null,"limit":5})", bad, "pwdHash: required"},
        ErrorCase{Op::flush, "{}", bad, "localData: required"},
        ErrorCase{Op::flush, R"({"pwdHash":"p","lock":null})", bad, "localData: required"},
        ErrorCase{Op::change_lock, R"({"pwdHash":"p"})", bad, "lock: required"},
        ErrorCase{Op::change_lock, R"({"lock":{)" + valid_item_fields + "}}", bad,
                  "pwdHash: required"}));

// The hostile bodies of bench/protocol/pathological_bodies.hpp (the rejection
// benchmark times them) each get their answer: a clear 400/413 or, within the
// limits, a parse.
TEST(ParsePathological, EveryHostileBodyGetsItsAnswer) {
  for (const bench::PathologicalBody& sample : bench::pathological_bodies()) {
    const Failure outcome = parse_failure(Op::check, sample.body);
    EXPECT_EQ(outcome.error, sample.expected) << sample.name << ": " << outcome.message;
  }
}

TEST(ParseErrorsDeep, DeeplyNestedUnknownValueIsRefused) {
  std::string body = R"({"pwdHash":"","localData":[],"x":)";
  body += std::string(1000, '[');
  body += std::string(1000, ']');
  body += '}';
  const Failure failure = parse_failure(Op::check, body);
  EXPECT_EQ(failure.error, Error::bad_request);
  EXPECT_NE(failure.message.find(": nested too deeply"), std::string::npos) << failure.message;
}

TEST(ParseErrorsDeep, ModeratelyNestedUnknownValueIsAccepted) {
  std::string body = R"({"pwdHash":"","localData":[],"x":)";
  body += std::string(50, '[');
  body += std::string(50, ']');
  body += '}';
  EXPECT_EQ(parse_failure(Op::check, body).error, Error::ok);
}

// ---------------------------------------------------------------- robustness

const std::vector<std::pair<Op, std::string>>& valid_bodies() {
  static const std::vector<std::pair<Op, std::string>> bodies = {
      {Op::check,
       R"({"localData":[{"key":"a\u0062","dataType":"Wallet","dataTimestamp":1700000000000,)"
       R"("pwdHash":"p"},{"key":"c","dataType":"Account","dataTimestamp":null}],)"
       R"("onlyCheckLocalDataType":["Wallet"],"pwdHash":"p","nonce":0,"x":{"y":[1,2.5e3]}})"},
      {Op::upload,
       R"({"localData":[)" + item_json(R"("isDeleted":true)") + R"(],"pwdHash":"p","nonce":0})"},
      {Op::download, R"({"pwdHash":"p","includeDeleted":true,"start":0,"limit":10,"after":"k"})"},
      {Op::flush,
       R"({"localData":[)" + item_json() + R"(],"pwdHash":"p","lock":)" + item_json() + "}"},
      {Op::change_lock, R"({"lock":)" + item_json() + R"(,"pwdHash":"p"})"},
  };
  return bodies;
}

// Any input yields a value or a 40000/41300 failure, never a crash, on both paths.
void expect_handled(Op op, std::string_view body) {
  const Failure failure = parse_failure(op, body);
  EXPECT_TRUE(failure.error == Error::ok || failure.error == Error::bad_request ||
              failure.error == Error::payload_too_large)
      << failure.message;
  const PaddedBody padded(body);
  RequestParser parser;
  switch (op) {
    case Op::check:
      (void)parser.parse_check(padded.view());
      break;
    case Op::upload:
      (void)parser.parse_upload(padded.view());
      break;
    case Op::download:
      (void)parser.parse_download(padded.view());
      break;
    case Op::flush:
      (void)parser.parse_flush(padded.view());
      break;
    case Op::change_lock:
      (void)parser.parse_change_lock(padded.view());
      break;
  }
}

bool is_blank(std::string_view text) {
  return text.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

TEST(ParseRobustness, ValidBodiesParse) {
  for (const auto& [op, body] : valid_bodies()) {
    EXPECT_EQ(parse_failure(op, body).error, Error::ok)
        << op_name(op) << ": " << parse_failure(op, body).message;
  }
}

TEST(ParseRobustness, EveryTruncatedPrefixIsRejectedCleanly) {
  for (const auto& [op, body] : valid_bodies()) {
    for (std::size_t length = 0; length < body.size(); ++length) {
      const std::string_view prefix(body.data(), length);
      const Failure failure = parse_failure(op, prefix);
      // Only download accepts the empty body; every other prefix is incomplete.
      if (op == Op::download && length == 0) continue;
      EXPECT_EQ(failure.error, Error::bad_request) << op_name(op) << " prefix: " << prefix;
      expect_handled(op, prefix);
    }
  }
}

TEST(ParseRobustness, RandomMutationsNeverCrash) {
  std::mt19937 random(12345);
  for (const auto& [op, body] : valid_bodies()) {
    for (int round = 0; round < 400; ++round) {
      std::string mutated = body;
      const int edits = 1 + static_cast<int>(random() % 4);
      for (int edit = 0; edit < edits; ++edit) {
        const std::size_t at = random() % mutated.size();
        switch (random() % 3) {
          case 0:
            mutated[at] = static_cast<char>(random() % 256);
            break;
          case 1:
            mutated.erase(at, 1);
            break;
          default:
            mutated.insert(mutated.begin() + static_cast<std::ptrdiff_t>(at),
                           "{}[],:\"\\0-e.ntf"[random() % 16]);
            break;
        }
        if (mutated.empty()) mutated.push_back('{');
      }
      expect_handled(op, mutated);
    }
  }
}

// On-Demand skips what it is not asked for; the parser must still reject every body
// that a full (DOM) parse rejects, and call nothing malformed that DOM accepts.
TEST(ParseRobustness, RejectsEverythingADomParserRejects) {
  std::mt19937 random(777);
  simdjson::dom::parser dom_parser;
  for (const auto& [op, body] : valid_bodies()) {
    for (int round = 0; round < 3000; ++round) {
      std::string mutated = body;
      for (int edit = 0; edit <= round % 3; ++edit) {
        const std::size_t at = random() % mutated.size();
        if (random() % 2 == 0) {
          mutated[at] = "{}[],:\"\\0-e.ntf x"[random() % 17];
        } else {
          mutated.erase(at, 1);
        }
      }
      simdjson::dom::element ignored;
      const Failure failure = parse_failure(op, mutated);
      if (dom_parser.parse(mutated).get(ignored) == simdjson::SUCCESS) {
        // Valid JSON may still have the wrong shape, but is never called malformed.
        EXPECT_EQ(failure.message.find("malformed"), std::string::npos) << mutated;
        continue;
      }
      if (op == Op::download && is_blank(mutated)) continue;
      EXPECT_EQ(failure.error, Error::bad_request) << op_name(op) << ": " << mutated;
    }
  }
}

TEST(ParseRobustness, RandomBytesNeverCrash) {
  std::mt19937 random(987);
  for (int round = 0; round < 2000; ++round) {
    std::string bytes(random() % 64, '\0');
    for (char& c : bytes) c = static_cast<char>(random() % 256);
    if (round % 2 == 0 && !bytes.empty()) bytes[0] = '{';
    for (Op op : {Op::check, Op::upload, Op::download, Op::flush, Op::change_lock}) {
      expect_handled(op, bytes);
    }
  }
}

}  // namespace
}  // namespace primesync::protocol
