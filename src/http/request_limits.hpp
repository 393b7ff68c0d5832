// How the transport bounds the parsing of one request. Shared by the session and
// the HTTP-front fuzz target (tests/fuzz/http_front_fuzz.cpp), so that the fuzzer
// parses bytes exactly as a connection does.
#pragma once

#include <cstddef>
#include <cstdint>

#include <boost/beast/http/parser.hpp>

namespace primesync::http {

// Beast's default is 8 KiB; tokens in headers make 16 KiB a safer ceiling.
inline constexpr std::uint32_t kHeaderLimit = 16 * 1024;

// A fresh parser per message gets these limits: the header, and the body of
// `body_limit` bytes (config.server.body_limit; larger is refused with 413).
template <typename Body, typename Allocator>
void limit_request_parser(boost::beast::http::request_parser<Body, Allocator>& parser,
                          std::size_t body_limit) {
  parser.header_limit(kHeaderLimit);
  parser.body_limit(body_limit);
}

}  // namespace primesync::http
