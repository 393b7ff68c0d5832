// One HTTP/1.1 connection: read a request, hand it to the Handler, write the
// response, repeat while keep-alive holds. Internal to src/http.
//
// Timeouts: idle_timeout runs from accept (or the end of the last response) to
// the first byte of the next request; read_timeout from that byte to the end of
// the request, and again for writing the response. Pipelined requests are read
// only after the previous response is written, so at most one response is ever
// pending and no queue of responses is needed.
#pragma once

#include <atomic>
#include <functional>
#include <list>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "http/server_stats.hpp"
#include "primesync/config.hpp"

namespace primesync::http {

class Handler;
class PushFront;
class Session;

// What every session of a server shares.
struct SessionEnvironment {
  const primesync::ServerConfig& config;
  Handler& handler;
  ServerCounters& counters;
  const std::atomic<bool>& stopping;
  PushFront* push = nullptr;  // takes WebSocket upgrades on its path; null: none
};

// The live sessions of one io_context, so that a graceful stop can reach them.
// Touched only from that context's thread.
class SessionRegistry {
 public:
  SessionRegistry() = default;
  SessionRegistry(const SessionRegistry&) = delete;
  SessionRegistry& operator=(const SessionRegistry&) = delete;

  // Cancels the sessions waiting for a next request; busy ones finish first.
  void cancel_idle();
  // Closes every socket, busy or not (the shutdown grace has run out).
  void close_all();
  [[nodiscard]] bool empty() const { return sessions_.empty(); }
  // Called when the last session ends; used to end the shutdown grace early.
  void on_empty(std::function<void()> callback) { on_empty_ = std::move(callback); }

 private:
  friend class Session;
  std::list<Session*>::iterator add(Session* session);
  void remove(std::list<Session*>::iterator position);

  std::list<Session*> sessions_;
  std::function<void()> on_empty_;
};

// Serves one accepted connection until it closes. Spawn it on the socket's
// executor; it registers itself in `registry` (which belongs to that executor).
boost::asio::awaitable<void> run_session(boost::asio::ip::tcp::socket socket,
                                         const SessionEnvironment& environment,
                                         SessionRegistry& registry);

}  // namespace primesync::http
