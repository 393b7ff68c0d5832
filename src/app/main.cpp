// The composition root: reads the command line and config, wires the store, the
// sync service, the router and the HTTP server, and runs until SIGTERM/SIGINT.
#include <chrono>
#include <iostream>
#include <stdexcept>

#include "app/adapters.hpp"
#include "app/command_line.hpp"
#include "app/config_loader.hpp"
#include "auth/jwt.hpp"
#include "http/api_router.hpp"
#include "http/server.hpp"
#include "observe/logger.hpp"
#include "primesync/sync_service.hpp"

namespace {

constexpr int exit_usage = 2;
constexpr int exit_failure = 1;
constexpr std::int64_t millis_per_second = 1000;

int print_token(const primesync::Config& config, const primesync::app::TokenOptions& options) {
  primesync::app::validate_config(config);
  const auto now = primesync::wall_clock_now();
  primesync::auth::TokenClaims claims{options.user, options.prime,
                                      now / millis_per_second + options.ttl_seconds};
  std::cout << primesync::auth::sign_token(claims, config.auth.jwt_secret, now) << "\n";
  return 0;
}

int serve(const primesync::Config& config) {
  using primesync::observe::Level;
  using primesync::observe::log_event;
  primesync::app::Adapters adapters = primesync::app::open_adapters(config);
  primesync::SyncService service(config, *adapters.store, adapters.notifier_pointers());
  primesync::http::Server* server_pointer = nullptr;
  primesync::http::ApiRouter router(
      config, service,
      [&server_pointer] {
        return server_pointer != nullptr ? server_pointer->stats() : primesync::http::ServerStats{};
      },
      adapters.probes, adapters.push_hub.get());
  primesync::http::Server server(config.server, router, adapters.push_hub.get());
  server_pointer = &server;
  server.start();
  primesync::app::start_push_feed(config, server.port(), adapters);
  log_event(Level::info, "listening on " +
                             config.server.listen.substr(0, config.server.listen.rfind(':')) + ":" +
                             std::to_string(server.port()) + ", " + adapters.description);
  server.run();
  log_event(Level::info, "stopping: finishing queued operations");
  service.shutdown();
  log_event(Level::info, "stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace primesync;
  try {
    const auto command = app::parse_command_line({argv + 1, argv + argc});
    if (command.serve.help) {
      std::cout << app::usage();
      return 0;
    }
    if (command.serve.describe_config) {
      std::cout << app::describe_config();
      return 0;
    }
    Config config = app::load_config(command.serve.config_path);
    if (command.token_command) return print_token(config, command.token);
    if (command.serve.listen) config.server.listen = *command.serve.listen;
    if (command.serve.data_dir) config.rocksdb.path = *command.serve.data_dir;
    if (command.serve.threads) config.server.threads = *command.serve.threads;
    if (command.serve.print_config) {
      std::cout << app::print_config(config);
      return 0;
    }
    app::validate_config(config);
    observe::init_logging(config.log);
    return serve(config);
  } catch (const std::invalid_argument& error) {
    std::cerr << "primesync-server: " << error.what() << "\n";
    return exit_usage;
  } catch (const app::ConfigError& error) {
    std::cerr << "primesync-server: config: " << error.what() << "\n";
    return exit_usage;
  } catch (const std::exception& error) {
    std::cerr << "primesync-server: " << error.what() << "\n";
    return exit_failure;
  }
}
