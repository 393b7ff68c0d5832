// The Date header (RFC 7231 IMF-fixdate), e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
#pragma once

#include <ctime>
#include <string>
#include <string_view>

namespace primesync::http {

// Formats `time` (seconds since the epoch) as an IMF-fixdate.
[[nodiscard]] std::string format_http_date(std::time_t time);

// The current time as an IMF-fixdate, formatted at most once per second per
// thread. The view stays valid until the next call on the same thread.
[[nodiscard]] std::string_view http_date_now();

}  // namespace primesync::http
