#include "http/http_date.hpp"

#include <array>
#include <chrono>
#include <cstdio>

namespace primesync::http {
namespace {

// Fixed English names: strftime's %a and %b would follow the process locale.
constexpr std::array<const char*, 7> kDayNames = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<const char*, 12> kMonthNames = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// "Sun, 06 Nov 1994 08:49:37 GMT": 29 characters and the terminator fit in 32.
std::size_t format_into(std::time_t time, std::array<char, 32>& out) {
  std::tm utc{};
  gmtime_r(&time, &utc);
  const int written = std::snprintf(out.data(), out.size(), "%s, %02d %s %04d %02d:%02d:%02d GMT",
                                    kDayNames[static_cast<std::size_t>(utc.tm_wday)], utc.tm_mday,
                                    kMonthNames[static_cast<std::size_t>(utc.tm_mon)],
                                    utc.tm_year + 1900, utc.tm_hour, utc.tm_min, utc.tm_sec);
  return written > 0 ? static_cast<std::size_t>(written) : 0;
}

}  // namespace

std::string format_http_date(std::time_t time) {
  std::array<char, 32> buffer{};
  return std::string(buffer.data(), format_into(time, buffer));
}

std::string_view http_date_now() {
  thread_local std::time_t cached_second = -1;
  thread_local std::array<char, 32> cached{};
  thread_local std::size_t cached_length = 0;
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  if (now != cached_second) {
    cached_length = format_into(now, cached);
    cached_second = now;
  }
  return {cached.data(), cached_length};
}

}  // namespace primesync::http
