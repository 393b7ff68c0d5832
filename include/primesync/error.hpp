// One error enum for every outcome a client can see, and the one table that maps
// it to a protocol code and an HTTP status (PROTOCOL.md §6).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace primesync {

enum class Error {
  ok,
  token_invalid,       // 90002
  too_many_devices,    // 90004
  not_prime,           // 90005
  password_mismatch,   // 90006
  nonce_invalid,       // 90009
  bad_request,         // 40000
  admin_unauthorized,  // 40100: the admin endpoint without the right admin token
  not_found,           // 40400
  method_not_allowed,  // 40500
  payload_too_large,   // 41300
  rate_limited,        // 42900
  unavailable,         // 50300
  internal,            // 50000
};

struct ErrorInfo {
  int code;
  int http_status;
  std::string_view message;  // default message when none is more specific
};

// The single table of §6.
[[nodiscard]] const ErrorInfo& error_info(Error error) noexcept;

// A business failure: the error and a message naming what failed (for 40000 the
// field path, e.g. "localData[3].dataTimestamp: expected integer").
struct Failure {
  Error error = Error::internal;
  std::string message;
};

[[nodiscard]] inline Failure fail(Error error, std::string message = {}) {
  if (message.empty()) message = std::string(error_info(error).message);
  return Failure{error, std::move(message)};
}

// The value of an operation or the failure that stopped it.
template <typename T>
class Outcome {
 public:
  Outcome(T value) : state_(std::move(value)) {}            // NOLINT(google-explicit-constructor)
  Outcome(Failure failure) : state_(std::move(failure)) {}  // NOLINT(google-explicit-constructor)

  [[nodiscard]] bool ok() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  [[nodiscard]] T& value() & { return std::get<0>(state_); }
  [[nodiscard]] const T& value() const& { return std::get<0>(state_); }
  [[nodiscard]] T&& value() && { return std::get<0>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  [[nodiscard]] const Failure& failure() const& { return std::get<1>(state_); }
  [[nodiscard]] Failure&& failure() && { return std::get<1>(std::move(state_)); }

 private:
  std::variant<T, Failure> state_;
};

// Thrown by a Store when the backing store cannot be reached or fails to commit;
// the request is answered with 50300 and nothing was committed.
class StoreUnavailable : public std::exception {
 public:
  explicit StoreUnavailable(std::string what) : what_(std::move(what)) {}
  [[nodiscard]] const char* what() const noexcept override { return what_.c_str(); }

 private:
  std::string what_;
};

}  // namespace primesync
