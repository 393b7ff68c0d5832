// The HTTP messages the transport hands to a Handler and writes back.
#pragma once

#include <cstddef>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace primesync::http {

using Request = boost::beast::http::request<boost::beast::http::string_body>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;

// Room the transport leaves after a request body, so that the JSON parser (which reads
// up to this many bytes past the end) can parse the body where it is, without a copy.
inline constexpr std::size_t body_padding = 64;

}  // namespace primesync::http
