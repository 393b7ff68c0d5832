#include "http/response_head.hpp"

#include <charconv>

namespace primesync::http {
namespace {

namespace bhttp = boost::beast::http;

bool is_written_by_session(bhttp::field name) noexcept {
  switch (name) {
    case bhttp::field::server:
    case bhttp::field::date:
    case bhttp::field::content_length:
    case bhttp::field::connection:
    case bhttp::field::transfer_encoding:
      return true;
    default:
      return false;
  }
}

void append_number(std::string& out, std::size_t number) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, number).ptr;
  out.append(digits, end);
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name).append(": ").append(value).append("\r\n");
}

}  // namespace

// RFC 9110 §6.4.1: these responses have no content and no Content-Length.
bool response_has_content(unsigned status) noexcept {
  return !((status >= 100 && status < 200) || status == 204 || status == 304);
}

void append_response_head(std::string& out, const Response& response, unsigned version,
                          bool keep_alive, std::string_view date) {
  out.append(version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  append_number(out, response.result_int());
  out.push_back(' ');
  out.append(response.reason()).append("\r\n");
  append_field(out, "Server", "primesync");
  append_field(out, "Date", date);
  for (const auto& field : response) {
    if (!is_written_by_session(field.name())) append_field(out, field.name_string(), field.value());
  }
  if (response_has_content(response.result_int())) {
    out.append("Content-Length: ");
    append_number(out, response.body().size());
    out.append("\r\n");
  }
  if (version >= 11 && !keep_alive) append_field(out, "Connection", "close");
  if (version < 11 && keep_alive) append_field(out, "Connection", "keep-alive");
  out.append("\r\n");
}

}  // namespace primesync::http
