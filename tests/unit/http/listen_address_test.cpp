#include "http/listen_address.hpp"

#include <gtest/gtest.h>

namespace primesync::http {
namespace {

TEST(ListenAddressTest, ParsesIpv4AndBracketedIpv6) {
  const auto v4 = parse_listen_address("0.0.0.0:8080");
  ASSERT_TRUE(v4.has_value());
  EXPECT_EQ(v4->host, "0.0.0.0");
  EXPECT_EQ(v4->port, 8080);

  const auto v6 = parse_listen_address("[::1]:0");
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 0);
}

TEST(ListenAddressTest, RefusesMalformedValues) {
  for (const char* listen : {"", "8080", ":8080", "127.0.0.1", "127.0.0.1:", "127.0.0.1:http",
                             "127.0.0.1:65536", "127.0.0.1:-1", "::1:8080", "[]:80", "[::1:80"}) {
    EXPECT_FALSE(parse_listen_address(listen).has_value()) << listen;
  }
}

}  // namespace
}  // namespace primesync::http
