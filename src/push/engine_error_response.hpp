// The HTTP answer to an Engine.IO request the hub refuses (both transports): 403
// for forbidden (push.maxConnections reached), 400 otherwise, with the reference
// server's {"code":N,"message":..} body.
#pragma once

#include "http/types.hpp"
#include "push/engine_io_packet.hpp"

namespace primesync::push {

[[nodiscard]] http::Response engine_error_response(const http::Request& request, EngineError error);

}  // namespace primesync::push
