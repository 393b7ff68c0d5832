#include "http/response_head.hpp"

#include <gtest/gtest.h>

#include <string>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

namespace primesync::http {
namespace {

namespace bhttp = boost::beast::http;

constexpr std::string_view date = "Fri, 04 Dec 2026 02:40:00 GMT";

Response json_response(bhttp::status status, std::string body) {
  Response response{status, 11};
  response.set(bhttp::field::content_type, "application/json");
  response.body() = std::move(body);
  return response;
}

// The head and the body as the session sends them, read back by Beast's parser.
bhttp::response<bhttp::string_body> read_back(const Response& response, unsigned version,
                                              bool keep_alive) {
  std::string wire;
  append_response_head(wire, response, version, keep_alive, date);
  if (response_has_content(response.result_int())) wire += response.body();
  bhttp::response_parser<bhttp::string_body> parser;
  parser.eager(true);
  if (!response_has_content(response.result_int())) parser.skip(true);
  boost::beast::error_code error;
  const std::size_t used = parser.put(boost::asio::buffer(wire), error);
  EXPECT_FALSE(error) << error.message() << " in\n" << wire;
  EXPECT_TRUE(parser.is_done()) << wire;
  EXPECT_EQ(used, wire.size()) << "nothing after the message";
  return parser.release();
}

TEST(ResponseHead, IsTheStatusLineServerDateFieldsLengthAndABlankLine) {
  std::string head;
  append_response_head(head, json_response(bhttp::status::ok, R"({"code":0})"), 11, true, date);
  EXPECT_EQ(head,
            "HTTP/1.1 200 OK\r\n"
            "Server: primesync\r\n"
            "Date: Fri, 04 Dec 2026 02:40:00 GMT\r\n"
            "Content-Type: application/json\r\n"
            "Content-Length: 10\r\n"
            "\r\n");
}

TEST(ResponseHead, AppendsToWhatIsThere) {
  std::string head = "kept";
  append_response_head(head, json_response(bhttp::status::ok, ""), 11, true, date);
  EXPECT_TRUE(head.starts_with("keptHTTP/1.1 200 OK\r\n"));
  EXPECT_NE(head.find("Content-Length: 0\r\n"), std::string::npos);
}

TEST(ResponseHead, ParsesBackWithEveryFieldAndTheBody) {
  const auto message = read_back(json_response(bhttp::status::not_found, "missing"), 11, true);
  EXPECT_EQ(message.result(), bhttp::status::not_found);
  EXPECT_EQ(message.reason(), "Not Found");
  EXPECT_EQ(message[bhttp::field::server], "primesync");
  EXPECT_EQ(message[bhttp::field::date], date);
  EXPECT_EQ(message[bhttp::field::content_type], "application/json");
  EXPECT_EQ(message[bhttp::field::content_length], "7");
  EXPECT_EQ(message.body(), "missing");
  EXPECT_TRUE(message.keep_alive());
}

TEST(ResponseHead, ConnectionFollowsTheDecisionAndTheVersion) {
  const auto response = json_response(bhttp::status::ok, "{}");
  EXPECT_EQ(read_back(response, 11, false)[bhttp::field::connection], "close");
  EXPECT_FALSE(read_back(response, 11, false).keep_alive());
  EXPECT_EQ(read_back(response, 11, true).count(bhttp::field::connection), 0U);
  EXPECT_EQ(read_back(response, 10, true)[bhttp::field::connection], "keep-alive");
  EXPECT_TRUE(read_back(response, 10, true).keep_alive());
  EXPECT_EQ(read_back(response, 10, false).count(bhttp::field::connection), 0U);
  std::string head;
  append_response_head(head, response, 10, false, date);
  EXPECT_TRUE(head.starts_with("HTTP/1.0 200 OK\r\n"));
}

TEST(ResponseHead, TheSessionsFieldsReplaceTheHandlers) {
  auto response = json_response(bhttp::status::ok, "abc");
  response.set(bhttp::field::server, "other");
  response.set(bhttp::field::date, "yesterday");
  response.set(bhttp::field::content_length, "99");
  response.set(bhttp::field::connection, "upgrade");
  response.set(bhttp::field::transfer_encoding, "chunked");
  response.set("X-Custom", "kept");
  const auto message = read_back(response, 11, true);
  EXPECT_EQ(message.count(bhttp::field::server), 1U);
  EXPECT_EQ(message[bhttp::field::server], "primesync");
  EXPECT_EQ(message[bhttp::field::date], date);
  EXPECT_EQ(message[bhttp::field::content_length], "3");
  EXPECT_EQ(message.count(bhttp::field::connection), 0U);
  EXPECT_EQ(message.count(bhttp::field::transfer_encoding), 0U);
  EXPECT_EQ(message["X-Custom"], "kept");
  EXPECT_EQ(message.body(), "abc");
}

TEST(ResponseHead, NoContentStatusesHaveNoLength) {
  for (const auto status :
       {bhttp::status::continue_, bhttp::status::no_content, bhttp::status::not_modified}) {
    EXPECT_FALSE(response_has_content(static_cast<unsigned>(status)));
    std::string head;
    append_response_head(head, Response{status, 11}, 11, true, date);
    EXPECT_EQ(head.find("Content-Length"), std::string::npos) << head;
  }
  EXPECT_TRUE(response_has_content(200));
  EXPECT_TRUE(response_has_content(413));
}

}  // namespace
}  // namespace primesync::http
