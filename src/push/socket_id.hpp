// Session and socket ids: 128 random bits from the system's CSPRNG, URL-safe. A
// polling sid is all it takes to read a device's pushes, so it must be unguessable.
#pragma once

#include <string>

namespace primesync::push {

[[nodiscard]] std::string new_socket_id();

}  // namespace primesync::push
