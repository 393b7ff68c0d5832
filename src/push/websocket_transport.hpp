// The Engine.IO WebSocket transport: one text frame per packet. A connection
// without sid opens a session; one with the sid of a polling session upgrades it
// (the `2probe`/`3probe`/`5` exchange). The WebSocket lives on the thread that
// accepted it; the session's work runs on the session's thread (they differ when
// the upgrade arrived on another connection's thread).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "http/types.hpp"

namespace primesync::push {

class PushHub;

[[nodiscard]] boost::asio::awaitable<void> serve_websocket(PushHub& hub,
                                                           boost::asio::ip::tcp::socket socket,
                                                           http::Request request);

}  // namespace primesync::push
