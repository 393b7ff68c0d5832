// The HTTP messages the transport hands to a Handler and writes back.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/optional/optional.hpp>

namespace primesync::http {

// Room the transport leaves after a request body, so that the JSON parser (which reads
// up to this many bytes past the end) can parse the body where it is, without a copy.
inline constexpr std::size_t body_padding = 64;

// A request body is a std::string (string_body's, so tests can also send one). It is
// read by appending each received piece to a string reserved by the Content-Length
// plus body_padding: one allocation, and each byte is copied once and never zeroed
// first (string_body resizes, then copies).
struct RequestBody : boost::beast::http::string_body {
  class reader {  // NOLINT(readability-identifier-naming): the name Beast's Body concept requires
   public:
    template <bool isRequest, class Fields>
    reader(boost::beast::http::header<isRequest, Fields>& /*header*/, value_type& body)
        : body_(body) {}

    void init(const boost::optional<std::uint64_t>& length, boost::beast::error_code& error) {
      error = {};
      // The parser has checked the length against the body limit by now.
      if (length) body_.reserve(body_.size() + static_cast<std::size_t>(*length) + body_padding);
    }

    template <class ConstBufferSequence>
    std::size_t put(const ConstBufferSequence& buffers, boost::beast::error_code& error) {
      error = {};
      std::size_t added = 0;
      for (const auto buffer : boost::beast::buffers_range_ref(buffers)) {
        body_.append(static_cast<const char*>(buffer.data()), buffer.size());
        added += buffer.size();
      }
      return added;
    }

    void finish(boost::beast::error_code& error) { error = {}; }

   private:
    value_type& body_;
  };
};

using Request = boost::beast::http::request<RequestBody>;
using RequestMessageParser = boost::beast::http::request_parser<RequestBody>;
using Response = boost::beast::http::response<boost::beast::http::string_body>;

}  // namespace primesync::http
