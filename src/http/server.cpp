#include "http/server.hpp"

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <sys/socket.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detail/socket_option.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "http/listen_address.hpp"
#include "http/push_front.hpp"
#include "http/session.hpp"

namespace primesync::http {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using tcp = asio::ip::tcp;
using reuse_port = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

void log_error(const char* what, const std::string& detail) {
  std::fprintf(stderr, "primesync http: %s: %s\n", what, detail.c_str());
}

// Logs what escaped a coroutine instead of losing it (detached would).
void log_exception(const char* what, const std::exception_ptr& failure) {
  if (!failure) return;
  try {
    std::rethrow_exception(failure);
  } catch (const std::exception& error) {
    log_error(what, error.what());
  } catch (...) {
    log_error(what, "unknown exception");
  }
}

// One thread's share of the server. Member order matters for destruction: the
// io_context destroys the coroutine frames still parked in it (each unregisters
// from `sessions`), so `sessions` must outlive it; the I/O objects must die first.
struct Context {
  SessionRegistry sessions;
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  asio::steady_timer shutdown_deadline{io};

  ~Context() { sessions.on_empty(nullptr); }  // the deadline timer dies before the frames
};

}  // namespace

struct Server::Impl {
  Impl(const ServerConfig& server_config, Handler& server_handler, PushFront* push_front)
      : config(server_config),
        handler(server_handler),
        push(push_front),
        environment{config, handler, counters, stopping, push} {}

  void bind_all();
  void bind(Context& context, const tcp::endpoint& endpoint);
  asio::awaitable<void> accept_loop(Context& context);
  void drain(Context& context);
  void post_drains();
  static void run_context(Context& context);

  const ServerConfig config;
  Handler& handler;
  PushFront* push;
  ServerCounters counters;
  std::atomic<bool> stopping{false};
  SessionEnvironment environment;
  std::string listen_text;
  unsigned short bound_port = 0;
  std::atomic<bool> started{false};  // read by stop() from any thread
  std::vector<std::unique_ptr<Context>> contexts;
  std::unique_ptr<asio::signal_set> signals;  // on contexts[0]; destroyed before it
};

void Server::Impl::bind_all() {
  const auto address = parse_listen_address(config.listen);
  if (!address) {
    throw std::runtime_error("cannot listen on \"" + config.listen +
                             "\": expected HOST:PORT with a numeric IPv4 or [IPv6] host");
  }
  error_code ec;
  const auto ip = asio::ip::make_address(address->host, ec);
  if (ec) {
    throw std::runtime_error("cannot listen on \"" + config.listen + "\": " + ec.message());
  }

  unsigned threads = config.threads != 0 ? config.threads : std::thread::hardware_concurrency();
  threads = std::max(threads, 1U);
  for (unsigned i = 0; i < threads; ++i) contexts.push_back(std::make_unique<Context>());

  // With port 0 the first bind picks the port; the others share it via SO_REUSEPORT.
  tcp::endpoint endpoint(ip, address->port);
  for (auto& context : contexts) {
    bind(*context, endpoint);
    endpoint.port(context->acceptor.local_endpoint().port());
  }
  bound_port = endpoint.port();
}

void Server::Impl::bind(Context& context, const tcp::endpoint& endpoint) {
  auto fail = [&](const char* step, const error_code& ec) {
    throw std::runtime_error("cannot listen on " + config.listen + " (" + step +
                             "): " + ec.message());
  };
  error_code ec;
  auto& acceptor = context.acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (ec) fail("open", ec);
  acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (ec) fail("SO_REUSEADDR", ec);
  acceptor.set_option(reuse_port(true), ec);
  if (ec) fail("SO_REUSEPORT", ec);
  acceptor.bind(endpoint, ec);
  if (ec) fail("bind", ec);
  acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) fail("listen", ec);
}

asio::awaitable<void> Server::Impl::accept_loop(Context& context) {
  for (;;) {
    auto [ec, socket] = co_await context.acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
    if (ec == asio::error::operation_aborted || !context.acceptor.is_open()) co_return;
    if (ec) {
      // Typically EMFILE: back off briefly instead of spinning on the error.
      log_error("accept failed", ec.message());
      asio::steady_timer pause(context.io, std::chrono::milliseconds(50));
      co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    error_code ignored;
    // Checked against the sessions of every thread; two threads accepting at once
    // may each admit one past the limit, which bounds the excess by the thread count.
    if (counters.connections_active.load(std::memory_order_relaxed) >= config.max_connections) {
      ServerCounters::bump(counters.connections_refused);
      socket.close(ignored);
      continue;
    }
    socket.set_option(tcp::no_delay(true), ignored);
    asio::co_spawn(context.io, run_session(std::move(socket), environment, context.sessions),
                   [](const std::exception_ptr& failure) { log_exception("session", failure); });
  }
}

// On the context's thread: stop accepting, cancel idle sessions, and give busy
// ones until shutdown_timeout. The context's run() returns once nothing is left.
void Server::Impl::drain(Context& context) {
  error_code ignored;
  context.acceptor.close(ignored);
  context.sessions.cancel_idle();
  if (context.sessions.empty()) return;

  context.sessions.on_empty([&context] { context.shutdown_deadline.cancel(); });
  context.shutdown_deadline.expires_after(config.shutdown_timeout);
  context.shutdown_deadline.async_wait([&context](const error_code& ec) {
    if (ec) return;  // drained in time
    context.sessions.close_all();
    // A session still parked in the handler would hold run() forever; its frame
    // is destroyed with the io_context instead.
    asio::post(context.io, [&context] {
      if (!context.sessions.empty()) {
        log_error("shutdown", "handler still running after shutdown_timeout; abandoned");
        context.io.stop();
      }
    });
  });
}

void Server::Impl::post_drains() {
  // Push connections are never idle in the HTTP sense: close them now.
  if (push != nullptr) push->stop();
  for (auto& context : contexts) {
    asio::post(context->io, [this, target = context.get()] { drain(*target); });
  }
  asio::post(contexts.front()->io, [this] {
    if (signals) signals->cancel();
  });
}

void Server::Impl::run_context(Context& context) {
  for (;;) {
    try {
      context.io.run();
      return;
    } catch (const std::exception& error) {
      log_error("I/O thread", error.what());  // a completion handler threw; keep serving
    }
  }
}

Server::Server(const ServerConfig& config, Handler& handler, PushFront* push)
    : impl_(std::make_unique<Impl>(config, handler, push)) {}

Server::~Server() = default;

void Server::start() {
  if (impl_->started) throw std::logic_error("Server::start called twice");
  impl_->bind_all();
  for (auto& context : impl_->contexts) {
    asio::co_spawn(context->io, impl_->accept_loop(*context),
                   [](const std::exception_ptr& failure) { log_exception("acceptor", failure); });
  }
  impl_->started = true;
  if (impl_->stopping.load()) impl_->post_drains();  // stop() came first
}

unsigned short Server::port() const {
  return impl_->bound_port;
}

void Server::run() {
  if (!impl_->started) throw std::logic_error("Server::run called before start");
  Context& first = *impl_->contexts.front();
  impl_->signals = std::make_unique<asio::signal_set>(first.io, SIGINT, SIGTERM);
  impl_->signals->async_wait([this](const error_code& ec, int /*signal*/) {
    if (!ec) stop();
  });
  if (impl_->stopping.load()) impl_->signals->cancel();

  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < impl_->contexts.size(); ++i) {
    threads.emplace_back([context = impl_->contexts[i].get()] { Impl::run_context(*context); });
  }
  Impl::run_context(first);
  for (auto& thread : threads) thread.join();
}

void Server::stop() {
  if (impl_->stopping.exchange(true)) return;
  if (impl_->started) impl_->post_drains();
}

ServerStats Server::stats() const {
  return impl_->counters.snapshot();
}

}  // namespace primesync::http
