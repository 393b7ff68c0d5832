// Tests of the e2e harness itself; they run without the server binary.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "client_flows.hpp"
#include "http_client.hpp"
#include "token.hpp"

namespace primesync::e2e {
namespace {

TEST(HarnessToken, Base64UrlHasNoPaddingAndUrlAlphabet) {
  EXPECT_EQ(base64url_encode(""), "");
  EXPECT_EQ(base64url_encode("f"), "Zg");
  EXPECT_EQ(base64url_encode("fo"), "Zm8");
  EXPECT_EQ(base64url_encode("foo"), "Zm9v");
  EXPECT_EQ(base64url_encode("\xfb\xff\xbf"), "-_-_");
}

TEST(HarnessToken, Hs256MatchesAnIndependentImplementation) {
  // Same header/payload/secret cross-checked with Python's hmac module.
  const std::string token = sign_jwt("secret", R"({"sub":"u1","exp":1})");
  EXPECT_EQ(token,
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1MSIsImV4cCI6MX0."
            "db3sWHOo3nER-BlpefhLiFjAgNMRZ_d83JkaDh6KXxI");
}

TEST(HarnessToken, PayloadRoundTrips) {
  const std::string token = mint_token("someone", true);
  const std::string payload = jwt_payload(token);
  EXPECT_NE(payload.find(R"("sub":"someone")"), std::string::npos) << payload;
  EXPECT_NE(payload.find(R"("prime":true)"), std::string::npos) << payload;
  EXPECT_EQ(jwt_payload("not a token"), "");
}

TEST(HarnessFlows, KeysAreSha512HexOfTypeAndRawKey) {
  const std::string key = lock_item_key();
  EXPECT_EQ(key.size(), 128U);
  EXPECT_EQ(key.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(key, sha512_hex("Lock >> lock"));
  EXPECT_EQ(sha512_hex("abc").substr(0, 16), "ddaf35a193617aba");  // FIPS 180-2 vector
}

TEST(HarnessFlows, RandomDataLooksLikeClientCiphertext) {
  ItemFactory factory(7);
  for (int i = 0; i < 200; ++i) {
    const std::string data = factory.random_data();
    EXPECT_GE(data.size(), 480U);
    EXPECT_LE(data.size(), 1700U);
    EXPECT_EQ(data.find_first_not_of("0123456789abcdef"), std::string::npos);
  }
}

TEST(HarnessFlows, EnvelopeParserIsStrict) {
  HttpResponse ok{200, "OK", {}, R"({"code":0,"message":"success","data":{"nonce":3}})"};
  ApiResponse parsed = parse_envelope(ok);
  EXPECT_TRUE(is_ok(parsed));
  EXPECT_EQ(get_int(parsed.data, "nonce"), 3);

  HttpResponse extra{200, "OK", {}, R"({"code":0,"message":"","data":{},"x":1})"};
  EXPECT_FALSE(is_ok(parse_envelope(extra)));
  HttpResponse null_data{200, "OK", {}, R"({"code":0,"message":"","data":null})"};
  EXPECT_FALSE(is_ok(parse_envelope(null_data)));
  HttpResponse not_json{200, "OK", {}, "nope"};
  EXPECT_FALSE(is_ok(parse_envelope(not_json)));
}

// A one-connection loopback server answering canned responses, to test HttpClient.
class CannedServer {
 public:
  explicit CannedServer(std::vector<std::string> responses) : responses_(std::move(responses)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    ::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(listener_, 4);
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~CannedServer() {
    thread_.join();
    ::close(listener_);
  }
  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] int accepted() const { return accepted_; }

 private:
  void serve() {
    int fd = ::accept(listener_, nullptr, nullptr);
    ++accepted_;
    std::string pending;
    for (const std::string& response : responses_) {
      char buf[4096];
      while (pending.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        pending.append(buf, static_cast<std::size_t>(n));
      }
      pending.erase(0, pending.find("\r\n\r\n") + 4);  // canned requests carry no body
      ::send(fd, response.data(), response.size(), MSG_NOSIGNAL);
    }
    ::close(fd);
  }

  std::vector<std::string> responses_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  int accepted_ = 0;
  std::thread thread_;
};

TEST(HarnessHttp, ReadsLengthAndChunkedBodiesOnOneConnection) {
  CannedServer server({
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nDate: x\r\n\r\nhello",
      "HTTP/1.1 404 Not Found\r\nTransfer-Encoding: "
      "chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
  });
  HttpClient client("127.0.0.1", server.port());
  HttpResponse first = client.request("GET", "/a");
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(first.body, "hello");
  EXPECT_EQ(first.header("date"), "x");
  HttpResponse second = client.request("GET", "/b");
  EXPECT_EQ(second.status, 404);
  EXPECT_EQ(second.reason, "Not Found");
  EXPECT_EQ(second.body, "abcde");
  HttpResponse third = client.send_raw("GET /c HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(third.body, "ok");
  EXPECT_FALSE(client.connected());  // Connection: close honoured
  EXPECT_EQ(client.connect_count(), 1);
}

}  // namespace
}  // namespace primesync::e2e
