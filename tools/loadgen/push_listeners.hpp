// Push listeners of the load generator: N devices holding an Engine.IO/socket.io
// WebSocket open to the server's push hub (/socket.io/) while the load runs, as
// the app does. Each registers its own instance id for one of the simulated users
// (login), answers the heartbeat, acknowledges every push like the app, and times
// each CONFIG_CHANGE from the newest dataTimestamp it carries (the wall-clock time
// the load generator built that upload) to its arrival: an upper bound of the
// commit-to-device latency.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "histogram.hpp"

namespace primesync::loadgen {

struct PushListenerOptions {
  std::string host;
  std::string port;
  int connections = 0;
  int threads = 1;
  double connect_timeout_s = 60;
  // The user and instance id of listener `index`, and a token for that user.
  std::function<std::uint32_t(int index)> user_of;
  std::function<std::string(int index)> instance_of;
  std::function<std::string(std::uint32_t user)> token_of;
};

struct PushListenerReport {
  std::uint64_t connected = 0;         // listeners that completed the socket.io CONNECT
  std::uint64_t connect_failures = 0;  // logins or handshakes that failed
  std::uint64_t disconnects = 0;       // connections the server closed during the load
  std::uint64_t config_changes = 0, flushes = 0, lock_changes = 0;
  std::uint64_t pings = 0;
  Histogram latency_us;  // CONFIG_CHANGE: dataTimestamp → arrival
};

class PushListeners {
 public:
  explicit PushListeners(PushListenerOptions options);
  ~PushListeners();
  PushListeners(const PushListeners&) = delete;
  PushListeners& operator=(const PushListeners&) = delete;

  // Logs every listener in and connects it; returns once all are connected, have
  // failed, or the connect timeout passed. Their threads keep running.
  void connect();
  // Closes every connection, joins the threads and returns the figures.
  PushListenerReport stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace primesync::loadgen
