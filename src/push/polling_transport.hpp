// Engine.IO long-polling on /socket.io/: a GET without sid opens a session (the
// handshake), a GET with one waits for the session's packets, a POST delivers the
// device's packets. The session may live on another I/O thread than the request:
// its work runs on the session's executor.
#pragma once

#include <boost/asio/awaitable.hpp>

#include "http/types.hpp"

namespace primesync::push {

class PushHub;

[[nodiscard]] boost::asio::awaitable<http::Response> serve_polling_request(PushHub& hub,
                                                                           http::Request& request);

}  // namespace primesync::push
