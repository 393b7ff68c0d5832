#include "sync/gates.hpp"

namespace primesync::sync {

std::optional<Failure> check_password_gate(const UserRecord& user, std::string_view pwd_hash) {
  if (!user.pwd_hash.empty() && user.pwd_hash != pwd_hash) return fail(Error::password_mismatch);
  return std::nullopt;
}

std::optional<Failure> check_strict_gate(const UserRecord& user, std::string_view pwd_hash) {
  if (user.pwd_hash.empty()) {
    return fail(Error::password_mismatch, "no password is set for this user: flush first");
  }
  return check_password_gate(user, pwd_hash);
}

std::optional<Failure> check_nonce_gate(const UserRecord& user, std::int64_t nonce) {
  if (nonce > user.nonce) return fail(Error::nonce_invalid);
  return std::nullopt;
}

std::optional<Failure> check_prime_gate(bool require_prime, bool is_prime) {
  if (require_prime && !is_prime) return fail(Error::not_prime);
  return std::nullopt;
}

}  // namespace primesync::sync
