// Flow 12 and §1 transport: keep-alive, both token headers, health endpoints,
// unknown JSON fields.
#include <chrono>

#include "client_flows.hpp"
#include "server_process.hpp"

namespace primesync::e2e {
namespace {

class TransportTest : public ServerTest {
 protected:
  ItemFactory factory_{1201};
};

TEST_F(TransportTest, ManyRequestsShareOneKeepAliveConnection) {
  ApiClient device(server().port(), mint_token("transport-keepalive"), factory_.uuid());
  const std::string pwd_hash = factory_.uuid();
  ASSERT_TRUE(is_ok(device.flush({}, pwd_hash, factory_.lock(kBaseTimestamp))));
  std::vector<Item> uploaded;
  const int rounds = iterations_for_store_under_test(60);
  for (int i = 0; i < rounds; ++i) {
    const Item item = factory_.item("AddressBook", "ab-" + std::to_string(i), kBaseTimestamp + i);
    ASSERT_TRUE(is_ok(device.upload({item}, pwd_hash))) << "request " << i;
    ASSERT_TRUE(is_ok(device.check({item}, pwd_hash)));
    ASSERT_TRUE(is_ok(device.user_info()));
    uploaded.push_back(item);
  }
  // Errors keep the connection open too (they are answers, not failures).
  EXPECT_TRUE(has_code(device.get("/nope"), 404, 40400));
  EXPECT_TRUE(is_business_error(device.upload(uploaded, "wrong"), 90006));
  EXPECT_EQ(device.download_all(pwd_hash), as_stored_sorted(uploaded));
  EXPECT_EQ(device.http().connect_count(), 1);
  EXPECT_TRUE(device.http().connected());
}

TEST_F(TransportTest, PipelinedRequestsAreAnsweredInOrder) {
  // §1 says pipelining MAY be served; if it is, answers come in order.
  HttpClient http = server().client();
  const std::string token = mint_token("transport-pipeline");
  std::string requests;
  for (int i = 0; i < 3; ++i) {
    requests += "GET /prime/v1/user/info HTTP/1.1\r\nHost: x\r\nX-Onekey-Request-Token: " + token +
                "\r\nx-onekey-request-id: pipe-" + std::to_string(i) + "\r\n\r\n";
  }
  http.write_raw(requests);
  for (int i = 0; i < 3; ++i) {
    HttpResponse response = http.read_response();
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.header("x-onekey-request-id"), "pipe-" + std::to_string(i));
  }
}

TEST_F(TransportTest, MalformedHttpNeverTakesTheServerDown) {
  // HTTP-level garbage has no envelope rule; the server may answer 4xx or close,
  // but must not answer 2xx, crash, or stop serving others.
  const std::vector<std::string> garbage = {
      "NOT-HTTP\r\n\r\n",
      "POST /prime/v1/sync/upload HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n{}",
      "POST /prime/v1/sync/upload HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n"
      "Transfer-Encoding: chunked\r\n\r\nzz\r\n",
  };
  for (const std::string& bytes : garbage) {
    // Waiting for more bytes is acceptable too, hence the short timeout.
    HttpClient http("127.0.0.1", server().port(), std::chrono::seconds(3));
    try {
      HttpResponse response = http.send_raw(bytes);
      EXPECT_GE(response.status, 400) << bytes;
      EXPECT_LT(response.status, 500) << bytes;
    } catch (const HttpError&) {
      // Closing the connection (or waiting for more) is an acceptable answer.
    }
  }
  // A request that stops mid-body and hangs up.
  {
    HttpClient http = server().client();
    http.write_raw("POST /prime/v1/sync/check HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{");
  }
  ASSERT_TRUE(server().running());
  ApiClient device(server().port(), mint_token("transport-after-garbage"));
  EXPECT_TRUE(is_ok(device.check({}, "")));
}

TEST_F(TransportTest, AuthorizationBearerIsAcceptedToo) {
  ApiClient device(server().port(), "");
  ApiResponse info = device.call("GET", kUserInfoPath, "",
                                 {{"Authorization", "Bearer " + mint_token("transport-bearer")}});
  ASSERT_TRUE(is_ok(info));
  EXPECT_EQ(get_string(info.data, "userId"), "transport-bearer");
}

TEST_F(TransportTest, HealthAndReadinessAnswer200) {
  HttpClient http = server().client();
  EXPECT_EQ(http.request("GET", "/healthz").status, 200);
  EXPECT_EQ(http.request("GET", "/readyz").status, 200);
  EXPECT_EQ(http.request("GET", "/metrics").status, 200);
}

TEST_F(TransportTest, UnknownFieldsAreIgnoredAtEveryLevel) {
  ApiClient device(server().port(), mint_token("transport-extras"));
  const std::string pwd_hash = factory_.uuid();
  const Item lock = factory_.lock(kBaseTimestamp);
  const Item item = factory_.item("CustomRpc", "rpc", kBaseTimestamp);
  ApiResponse flush =
      device.post(kFlushPath, R"({"future":{"x":[1,2]},"localData":[{"key":")" + item.key +
                                  R"(","dataType":"CustomRpc","data":")" + item.data +
                                  R"(","dataTimestamp":)" + std::to_string(*item.data_timestamp) +
                                  R"(,"extra":null,"nested":{"a":1}}],"pwdHash":")" + pwd_hash +
                                  R"(","nonce":0,"lock":)" + item_json(lock, pwd_hash) + "}");
  ASSERT_TRUE(is_ok(flush));
  EXPECT_EQ(device.download_all(pwd_hash), std::vector<Item>{as_stored(item)});
}

}  // namespace
}  // namespace primesync::e2e
