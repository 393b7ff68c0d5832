// What the push hub counts, for /metrics. Updated from every I/O thread.
#pragma once

#include <atomic>
#include <cstdint>

namespace primesync::push {

struct PushCounters {
  std::atomic<std::uint64_t> connections_opened{0};   // Engine.IO sessions opened
  std::atomic<std::uint64_t> connections_refused{0};  // over push.maxConnections
  std::atomic<std::uint64_t> messages_received{0};    // notifications handed to the hub
  std::atomic<std::uint64_t> malformed_messages{0};   // notifications it could not read
  std::atomic<std::uint64_t> pushes_sent{0};          // events queued to a device (first send)
  std::atomic<std::uint64_t> acks{0};                 // pushes a device acknowledged
  std::atomic<std::uint64_t> retries{0};              // pushes sent again for want of an ack
  std::atomic<std::uint64_t> given_up{0};             // pushes never acknowledged after the retries
  std::atomic<std::uint64_t> slow_consumers{0};       // devices closed: send queue full
  std::atomic<std::uint64_t> heartbeat_timeouts{0};   // devices closed: no pong / no CONNECT
  std::atomic<std::uint64_t> protocol_errors{0};      // devices closed: unreadable packets
  std::atomic<std::uint64_t> refused_auth{0};         // CONNECTs refused (token or instanceId)

  static void bump(std::atomic<std::uint64_t>& counter) {
    counter.fetch_add(1, std::memory_order_relaxed);
  }
};

}  // namespace primesync::push
