// The status line and header fields of a response, written as text.
#pragma once

#include <string>
#include <string_view>

#include "http/types.hpp"

namespace primesync::http {

// Appends to `out` what Beast's serializer would write before the body once the
// session had set Server, Date, the Connection the keep-alive decision asks for and
// the payload's Content-Length: the status line, Server and Date, the handler's
// fields (its own Server, Date, Content-Length, Connection or Transfer-Encoding are
// replaced), Content-Length (not on 1xx, 204 or 304), Connection where the version's
// default is not the decision, and the blank line. The session then sends this
// text and the body in one gathered write, with no serializer and no field
// allocations.
// Whether a response with this status carries content (not 1xx, 204 or 304).
[[nodiscard]] bool response_has_content(unsigned status) noexcept;

void append_response_head(std::string& out, const Response& response, unsigned version,
                          bool keep_alive, std::string_view date);

}  // namespace primesync::http
