#include "protocol/response_encoder.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <memory>
#include <string>

namespace primesync::protocol {
namespace {

// Every encoder output must be valid JSON with the envelope's three fields.
void expect_valid_envelope(const std::string& json, int code) {
  simdjson::dom::parser parser;
  simdjson::dom::element document;
  ASSERT_EQ(parser.parse(json).get(document), simdjson::SUCCESS) << json;
  int64_t parsed_code = -1;
  ASSERT_EQ(document["code"].get(parsed_code), simdjson::SUCCESS) << json;
  EXPECT_EQ(parsed_code, code);
  std::string_view message;
  EXPECT_EQ(document["message"].get(message), simdjson::SUCCESS) << json;
  simdjson::dom::element data;
  EXPECT_EQ(document["data"].get(data), simdjson::SUCCESS) << json;
  EXPECT_EQ(document.get_object().size(), 3U);
}

template <typename Response>
std::string encode(const Response& response) {
  std::string out;
  encode_success(response, out);
  expect_valid_envelope(out, 0);
  return out;
}

const Item item_a{"ka", "Wallet", "0a0b", 1700000000000, false};
const Item item_b{"kb", "Account", "q\"\\\n", 1700000000001, true};

TEST(ResponseEncoder, Check) {
  CheckResponse response;
  response.deleted = {"d1", "d2"};
  response.obsoleted = {"o1"};
  response.diff = {&item_a};
  response.updated = {&item_a, &item_b};
  response.nonce = 7;
  response.pwd_hash = "pw";
  response.server_time = 1700000000999;
  EXPECT_EQ(
      encode(response),
      R"({"code":0,"message":"success","data":{"deleted":["d1","d2"],"obsoleted":["o1"],)"
      R"("diff":[{"key":"ka","dataType":"Wallet","data":"0a0b","dataTimestamp":1700000000000,)"
      R"("isDeleted":false}],"updated":[{"key":"ka","dataType":"Wallet","data":"0a0b",)"
      R"("dataTimestamp":1700000000000,"isDeleted":false},{"key":"kb","dataType":"Account",)"
      R"("data":"q\"\\\n","dataTimestamp":1700000000001,"isDeleted":true}],"nonce":7,)"
      R"("pwdHash":"pw","serverTime":1700000000999}})");
}

TEST(ResponseEncoder, CheckAlwaysHasAllArrays) {
  EXPECT_EQ(encode(CheckResponse{}),
            R"({"code":0,"message":"success","data":{"deleted":[],"obsoleted":[],"diff":[],)"
            R"("updated":[],"nonce":0,"pwdHash":"","serverTime":0}})");
}

TEST(ResponseEncoder, WriteWithAndWithoutSkipped) {
  WriteResponse upload{.created = 2, .updated = 1, .skipped = 3, .nonce = 9, .pwd_hash = "p"};
  EXPECT_EQ(encode(upload),
            R"({"code":0,"message":"success","data":{"created":2,"updated":1,"skipped":3,)"
            R"("nonce":9,"pwdHash":"p"}})");
  WriteResponse flush{
      .created = 5, .updated = 0, .skipped = std::nullopt, .nonce = 1, .pwd_hash = ""};
  EXPECT_EQ(encode(flush),
            R"({"code":0,"message":"success","data":{"created":5,"updated":0,"nonce":1,)"
            R"("pwdHash":""}})");
}

TEST(ResponseEncoder, Download) {
  DownloadResponse response;
  response.server_data = {&item_a};
  response.nonce = 3;
  response.pwd_hash = "p";
  response.has_more = true;
  EXPECT_EQ(encode(response), R"({"code":0,"message":"success","data":{"serverData":[{"key":"ka",)"
                              R"("dataType":"Wallet","data":"0a0b","dataTimestamp":1700000000000,)"
                              R"("isDeleted":false}],"nonce":3,"pwdHash":"p","hasMore":true}})");
  EXPECT_EQ(encode(DownloadResponse{}),
            R"({"code":0,"message":"success","data":{"serverData":[],"nonce":0,"pwdHash":"",)"
            R"("hasMore":false}})");
}

TEST(ResponseEncoder, Lock) {
  LockResponse response;
  response.lock = Lock{Item{"lk", "Lock", "cipher", 5, false}, "pw-at-write"};
  response.user_id = "u1";
  EXPECT_EQ(encode(response),
            R"({"code":0,"message":"success","data":{"lock":{"key":"lk","dataType":"Lock",)"
            R"("data":"cipher","dataTimestamp":5,"isDeleted":false,"pwdHash":"pw-at-write",)"
            R"("userId":"u1"}}})");
  EXPECT_EQ(encode(LockResponse{.lock = std::nullopt, .user_id = "u1"}),
            R"({"code":0,"message":"success","data":{"lock":null}})");
}

TEST(ResponseEncoder, SmallResponses) {
  EXPECT_EQ(encode(ChangeLockResponse{}), R"({"code":0,"message":"success","data":{"updated":1}})");
  EXPECT_EQ(encode(UserInfoResponse{
                .user_id = "u", .salt = "s", .pwd_hash = "p", .is_prime = true, .nonce = 4}),
            R"({"code":0,"message":"success","data":{"userId":"u","salt":"s","pwdHash":"p",)"
            R"("isPrime":true,"nonce":4}})");
  EXPECT_EQ(encode(LoginResponse{.user_id = "u", .instance_id = "i"}),
            R"({"code":0,"message":"success","data":{"userId":"u","instanceId":"i"}})");
  EXPECT_EQ(encode(EmptyResponse{}), R"({"code":0,"message":"success","data":{}})");
}

TEST(ResponseEncoder, Devices) {
  DevicesResponse response;
  response.devices = {Device{"i1", 10, 20}, Device{"i2", 30, 40}};
  EXPECT_EQ(encode(response),
            R"({"code":0,"message":"success","data":{"devices":[{"instanceId":"i1",)"
            R"("createdAt":10,"lastSeenAt":20},{"instanceId":"i2","createdAt":30,)"
            R"("lastSeenAt":40}]}})");
  EXPECT_EQ(encode(DevicesResponse{}), R"({"code":0,"message":"success","data":{"devices":[]}})");
}

TEST(ResponseEncoder, Failure) {
  std::string out;
  encode_failure(Error::bad_request, "localData[3].key: expected \"string\"", out);
  EXPECT_EQ(out, R"({"code":40000,"message":"localData[3].key: expected \"string\"","data":null})");
  expect_valid_envelope(out, 40000);

  out.clear();
  encode_failure(Error::password_mismatch, "", out);
  EXPECT_EQ(out, R"({"code":90006,"message":"pwdHash does not match","data":null})");
  expect_valid_envelope(out, 90006);
}

TEST(ResponseEncoder, AppendsToExistingContent) {
  std::string out = "HTTP-ish prefix ";
  encode_success(EmptyResponse{}, out);
  EXPECT_EQ(out, R"(HTTP-ish prefix {"code":0,"message":"success","data":{}})");
}

TEST(ResponseEncoder, WriteItemMatchesItsEstimateForPlainStrings) {
  std::string out;
  JsonWriter writer{StringSink(out)};
  write_item(writer, item_a);
  EXPECT_LE(out.size(), estimated_item_size(item_a));
}

}  // namespace
}  // namespace primesync::protocol
