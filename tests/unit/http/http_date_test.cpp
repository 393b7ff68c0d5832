#include "http/http_date.hpp"

#include <chrono>
#include <ctime>
#include <string>

#include <gtest/gtest.h>

namespace primesync::http {
namespace {

TEST(HttpDateTest, FormatsImfFixdate) {
  EXPECT_EQ(format_http_date(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");  // RFC 7231's example
  EXPECT_EQ(format_http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(format_http_date(951782400), "Tue, 29 Feb 2000 00:00:00 GMT");
}

TEST(HttpDateTest, NowIsTheCurrentSecond) {
  // system_clock, as the server uses: std::time() may lag it by a tick.
  const auto seconds = [] {
    return std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  };
  const std::time_t before = seconds();
  const std::string now(http_date_now());
  const std::time_t after = seconds();
  EXPECT_TRUE(now == format_http_date(before) || now == format_http_date(after)) << now;
}

}  // namespace
}  // namespace primesync::http
