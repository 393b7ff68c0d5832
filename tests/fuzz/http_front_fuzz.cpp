// libFuzzer target: the HTTP front. Raw bytes go through Beast's request parser
// with a connection's limits (http/request_limits.hpp), and each request parsed
// from them — several when pipelined on keep-alive — through the API router onto
// a sync service on an in-memory store, as a session hands it over; a refused
// parse goes to the router's reject(), as a session's refusal does. Whatever the
// bytes: no crash, no hang, no sanitizer report, no exception out of the router
// (the session would answer 500: a bug), and every answer is a complete response.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "http/api_router.hpp"
#include "http/request_limits.hpp"
#include "http/types.hpp"
#include "observe/logger.hpp"
#include "primesync/config.hpp"
#include "primesync/sync_service.hpp"
#include "support/clock.hpp"
#include "support/memory_store.hpp"

namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using primesync::http::Request;
using primesync::http::Response;

// The seed corpus (tests/fuzz/corpus/http_front) carries tokens signed with this:
// HS256, {"sub":"fuzz-user","exp":4102444800,"prime":true} (valid until 2100).
constexpr std::string_view kFuzzJwtSecret = "http-front-fuzz-secret";
// Small, so that inputs of libFuzzer's lengths reach the 413 path too.
constexpr std::size_t kFuzzBodyLimit = 4096;
// Pipelined requests served from one input, like one keep-alive connection.
constexpr int kMaxRequestsPerInput = 8;
// The in-memory store only grows; a fresh service this often bounds the memory.
constexpr std::size_t kInputsPerService = 4096;

primesync::Config fuzz_config() {
  primesync::Config config;
  config.auth.jwt_secret = std::string(kFuzzJwtSecret);
  config.server.body_limit = kFuzzBodyLimit;
  config.limits.user_requests_per_second = 0;  // one user at fuzzing speed
  config.log.access_log = false;
  config.log.level = "off";
  config.queue.shards = 1;
  return config;
}

[[noreturn]] void finding(const char* what) {
  std::fprintf(stderr, "http_front_fuzz: %s\n", what);
  std::abort();
}

// The service's ids (salts, message ids) count up instead of coming from OpenSSL:
// a finding replays the same, and the service's threads hold no OpenSSL state
// (its per-thread random state outlived them at exit, a leak report of the harness).
primesync::ServiceEnvironment fuzz_environment(const primesync::testing::SequentialHex& ids) {
  primesync::ServiceEnvironment environment = primesync::default_environment();
  environment.random_hex = ids.function();
  return environment;
}

// The router on a service on an in-memory store, and the executor its coroutines run on.
struct Front {
  Front()
      : config(fuzz_config()),
        service(config, store, {}, fuzz_environment(ids)),
        router(config, service, [] { return primesync::http::ServerStats{}; }) {}

  // handle() to completion on this thread; store work completes on the service's
  // worker and is posted back, hence the work guard until the answer is in.
  Response handle(Request& request) {
    std::optional<Response> response;
    std::exception_ptr failure;
    auto guard = asio::make_work_guard(io);
    asio::co_spawn(io, router.handle(request),
                   [&](const std::exception_ptr& error, Response answer) {
                     failure = error;
                     response = std::move(answer);
                     guard.reset();
                   });
    io.restart();
    io.run();
    if (failure) {
      try {
        std::rethrow_exception(failure);
      } catch (const std::exception& error) {
        finding(error.what());
      } catch (...) {
        finding("unknown exception from the router");
      }
    }
    if (!response) finding("the router never answered");
    return *std::move(response);
  }

  const primesync::Config config;
  primesync::testing::SequentialHex ids;
  primesync::testing::MemoryStore store;
  primesync::SyncService service;
  primesync::http::ApiRouter router;
  asio::io_context io{1};
  std::size_t inputs = 0;
};

// What the session does with an answer before writing it.
void finish(Response& response, unsigned version, bool keep_alive) {
  if (response.result_int() < 100 || response.result_int() > 599) finding("invalid status");
  response.version(version);
  response.keep_alive(keep_alive);
  response.prepare_payload();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static std::unique_ptr<Front> front;
  if (!front) primesync::observe::init_logging(fuzz_config().log);
  if (!front || front->inputs++ >= kInputsPerService) {
    front.reset();
    front = std::make_unique<Front>();
  }

  std::string_view rest(reinterpret_cast<const char*>(data), size);
  for (int served = 0; served < kMaxRequestsPerInput && !rest.empty(); ++served) {
    // A fresh parser per message, as the session makes one.
    primesync::http::RequestMessageParser parser;
    primesync::http::limit_request_parser(parser, front->config.server.body_limit);
    parser.eager(true);
    boost::system::error_code error;
    while (!error && !parser.is_done() && !rest.empty()) {
      const std::size_t used = parser.put(asio::buffer(rest.data(), rest.size()), error);
      rest.remove_prefix(used);
      if (used == 0 && !error) break;
    }
    if (error == bhttp::error::need_more || (!error && !parser.is_done())) {
      return 0;  // the input ends inside a request: the client went away
    }
    if (error) {
      // Refused before the handler, as the session refuses (then closes).
      const Request* partial = parser.is_header_done() ? &parser.get() : nullptr;
      const primesync::Error reason = error == bhttp::error::body_limit
                                          ? primesync::Error::payload_too_large
                                          : primesync::Error::bad_request;
      Response answer = front->router.reject(reason, error.message(), partial);
      finish(answer, partial != nullptr ? partial->version() : 11, false);
      return 0;
    }
    Request request = parser.release();
    Response answer = front->handle(request);
    const bool keep_alive = request.keep_alive() && answer.keep_alive();
    finish(answer, request.version(), keep_alive);
    if (!keep_alive) return 0;
  }
  return 0;
}
