// Transport counters: every limit and timeout of the server has one.
#pragma once

#include <atomic>
#include <cstdint>

namespace primesync::http {

// A snapshot of the counters, for /metrics and tests.
struct ServerStats {
  std::uint64_t connections_accepted = 0;
  std::uint64_t connections_active = 0;
  std::uint64_t connections_refused = 0;  // closed at accept: config.max_connections open
  std::uint64_t requests = 0;             // parsed requests handed to the handler
  std::uint64_t rejected_too_large = 0;   // 413: body over config.body_limit
  std::uint64_t read_timeouts = 0;        // a request started but was not complete in time
  std::uint64_t idle_timeouts = 0;        // keep-alive connection closed after idle_timeout
  std::uint64_t bad_requests = 0;         // 400: unparsable HTTP
  std::uint64_t handler_errors = 0;       // handle() threw; answered 500
};

// The live counters, bumped from every I/O thread. Relaxed ordering: each value
// is a count on its own, nothing is published through them.
struct ServerCounters {
  std::atomic<std::uint64_t> connections_accepted{0};
  std::atomic<std::uint64_t> connections_active{0};
  std::atomic<std::uint64_t> connections_refused{0};
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> rejected_too_large{0};
  std::atomic<std::uint64_t> read_timeouts{0};
  std::atomic<std::uint64_t> idle_timeouts{0};
  std::atomic<std::uint64_t> bad_requests{0};
  std::atomic<std::uint64_t> handler_errors{0};

  static void bump(std::atomic<std::uint64_t>& counter) {
    counter.fetch_add(1, std::memory_order_relaxed);
  }

  [[nodiscard]] ServerStats snapshot() const {
    constexpr auto kRelaxed = std::memory_order_relaxed;
    return ServerStats{
        .connections_accepted = connections_accepted.load(kRelaxed),
        .connections_active = connections_active.load(kRelaxed),
        .connections_refused = connections_refused.load(kRelaxed),
        .requests = requests.load(kRelaxed),
        .rejected_too_large = rejected_too_large.load(kRelaxed),
        .read_timeouts = read_timeouts.load(kRelaxed),
        .idle_timeouts = idle_timeouts.load(kRelaxed),
        .bad_requests = bad_requests.load(kRelaxed),
        .handler_errors = handler_errors.load(kRelaxed),
    };
  }
};

}  // namespace primesync::http
