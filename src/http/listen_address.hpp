// Parsing of the `listen` setting: "HOST:PORT" with a numeric IPv4 host or a
// bracketed IPv6 one ("[::1]:8080"). Kept free of Asio so it is cheap to test.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace primesync::http {

struct ListenAddress {
  std::string host;  // without brackets
  unsigned short port = 0;
};

// Empty when `listen` is not of that shape; the address itself is validated
// when it is bound.
[[nodiscard]] std::optional<ListenAddress> parse_listen_address(std::string_view listen);

}  // namespace primesync::http
