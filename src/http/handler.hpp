// What the transport calls for each parsed request. It knows nothing of the sync
// protocol: routing, authentication and envelopes live behind this interface.
#pragma once

#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "http/types.hpp"
#include "primesync/error.hpp"

namespace primesync::http {

class Handler {
 public:
  virtual ~Handler() = default;

  // Produces the response to one request; runs on the connection's executor.
  // The transport adds Date, Server, Content-Length and Connection; everything
  // else (status, body, content type) is written as returned.
  virtual boost::asio::awaitable<Response> handle(Request& request) = 0;

  // A response for a request the transport refused before handing it over
  // (413 body too large, 400 unparsable HTTP, 500 when handle() threw).
  // `request` may be null (nothing usable was parsed). Must not throw.
  virtual Response reject(primesync::Error error, std::string_view message,
                          const Request* request) = 0;
};

}  // namespace primesync::http
