#include "http/listen_address.hpp"

#include <charconv>

namespace primesync::http {

std::optional<ListenAddress> parse_listen_address(std::string_view listen) {
  const std::size_t colon = listen.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  std::string_view host = listen.substr(0, colon);
  const std::string_view port_text = listen.substr(colon + 1);

  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return std::nullopt;
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return std::nullopt;  // an IPv6 address needs brackets, or the port is ambiguous
  }

  unsigned port = 0;
  const char* end = port_text.data() + port_text.size();
  const auto [parsed_end, error] = std::from_chars(port_text.data(), end, port);
  if (port_text.empty() || error != std::errc{} || parsed_end != end || port > 65535) {
    return std::nullopt;
  }
  return ListenAddress{std::string(host), static_cast<unsigned short>(port)};
}

}  // namespace primesync::http
