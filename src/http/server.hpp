// The HTTP/1.1 server: one io_context and one SO_REUSEPORT acceptor per thread;
// each connection lives on the context that accepted it. Beast and Asio stay out
// of this header (pimpl) so that the composition root compiles quickly.
#pragma once

#include <memory>

#include "http/server_stats.hpp"
#include "primesync/config.hpp"

namespace primesync::http {

class Handler;
class PushFront;

class Server {
 public:
  // `handler` (and `push`, which takes WebSocket upgrades on its path and is
  // stopped with the server) must outlive the server.
  Server(const primesync::ServerConfig& config, Handler& handler, PushFront* push = nullptr);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Creates the contexts and binds one acceptor per thread. Throws
  // std::runtime_error naming the address when `listen` is malformed or a bind
  // fails (e.g. the port is in use without SO_REUSEPORT).
  void start();

  // The bound port; useful when `listen` asked for port 0. Valid after start().
  [[nodiscard]] unsigned short port() const;

  // Runs every context (the calling thread runs the first one) and blocks until
  // stop() has drained them. Handles SIGINT and SIGTERM by calling stop().
  void run();

  // Thread-safe, idempotent and graceful: stops accepting, closes idle keep-alive
  // connections at once, lets in-flight requests finish (their response says
  // `Connection: close`), and after shutdown_timeout closes whatever remains.
  void stop();

  [[nodiscard]] ServerStats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace primesync::http
