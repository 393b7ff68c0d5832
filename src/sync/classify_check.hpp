// PROTOCOL.md §4.1 step 2: what the client must download, upload or delete.
#pragma once

#include "primesync/api.hpp"

namespace primesync::sync {

// Fills deleted/obsoleted/diff/updated and the nonce and pwdHash; the caller
// sets serverTime and the snapshot. Items point into `state`.
[[nodiscard]] CheckResponse classify_check(const UserState& state, const CheckRequest& request);

}  // namespace primesync::sync
