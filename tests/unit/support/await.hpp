// Waits for a service completion with a deadline instead of sleeping.
#pragma once

#include <chrono>
#include <future>
#include <memory>
#include <stdexcept>

#include "primesync/sync_service.hpp"

namespace primesync::testing {

inline constexpr std::chrono::seconds completion_deadline{10};

// Starts an operation with a completion and returns its outcome; throws when the
// completion does not come within the deadline.
//   auto outcome = await_outcome<WriteResponse>([&](auto done) { service.upload(c, r, done); });
template <typename T, typename Start>
[[nodiscard]] Outcome<T> await_outcome(Start start) {
  auto promise = std::make_shared<std::promise<Outcome<T>>>();
  auto future = promise->get_future();
  start(Completion<T>([promise](Outcome<T> outcome) { promise->set_value(std::move(outcome)); }));
  if (future.wait_for(completion_deadline) != std::future_status::ready) {
    throw std::runtime_error("operation did not complete within the deadline");
  }
  return future.get();
}

}  // namespace primesync::testing
