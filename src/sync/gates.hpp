// The gates of PROTOCOL.md §4: each answers a failure or nothing.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "primesync/error.hpp"
#include "primesync/model.hpp"

namespace primesync::sync {

// 90006 when the stored pwdHash is non-empty and differs from the request's.
[[nodiscard]] std::optional<Failure> check_password_gate(const UserRecord& user,
                                                         std::string_view pwd_hash);

// As the password gate, and also 90006 when the stored pwdHash is empty.
[[nodiscard]] std::optional<Failure> check_strict_gate(const UserRecord& user,
                                                       std::string_view pwd_hash);

// 90009 when the request's nonce is ahead of the user's.
[[nodiscard]] std::optional<Failure> check_nonce_gate(const UserRecord& user, std::int64_t nonce);

// 90005 when Prime is required and the caller is not Prime.
[[nodiscard]] std::optional<Failure> check_prime_gate(bool require_prime, bool is_prime);

}  // namespace primesync::sync
