#include "primesync/error.hpp"

namespace primesync {

const ErrorInfo& error_info(Error error) noexcept {
  static constexpr ErrorInfo table[] = {
      {0, 200, "success"},
      {90002, 200, "invalid or expired token"},
      {90004, 200, "too many devices"},
      {90005, 200, "prime membership required"},
      {90006, 200, "pwdHash does not match"},
      {90009, 200, "nonce is newer than the server's"},
      {40000, 400, "bad request"},
      {40100, 401, "admin token missing or wrong"},
      {40400, 404, "not found"},
      {40500, 405, "method not allowed"},
      {41300, 413, "request too large"},
      {42900, 429, "too many requests"},
      {50300, 503, "service unavailable, retry later"},
      {50000, 500, "internal error"},
  };
  static_assert(std::size(table) == static_cast<std::size_t>(Error::internal) + 1);
  return table[static_cast<std::size_t>(error)];
}

}  // namespace primesync
