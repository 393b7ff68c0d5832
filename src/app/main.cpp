// The composition root: reads the command line and config, wires the store, the
// sync service, the router and the HTTP server, and runs until SIGTERM/SIGINT.
// Also runs the subcommands: token, and the operator's user and backup.
#include <sys/resource.h>

#include <chrono>
#include <iostream>
#include <stdexcept>

#include "admin/operator_tools.hpp"
#include "app/adapters.hpp"
#include "app/command_line.hpp"
#include "app/config_loader.hpp"
#include "auth/jwt.hpp"
#include "http/api_router.hpp"
#include "http/server.hpp"
#include "observe/logger.hpp"
#include "primesync/sync_service.hpp"
#include "store/rocksdb/rocksdb_store.hpp"

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

// A failure of an operator's subcommand: a bad argument (the backup directory
// exists) is a usage error, anything else (an unknown user) a failure.
int report(const primesync::Failure& failure) {
  std::cerr << "primesync-server: " << failure.message << "\n";
  return failure.error == primesync::Error::bad_request ? exit_usage : exit_failure;
}

// `user export|delete|list` and `backup`, straight on the store of a stopped
// server (admin/operator_tools.hpp).
int run_operator_command(primesync::Config config, const primesync::app::CommandLine& command) {
  using primesync::app::Subcommand;
  namespace admin = primesync::admin;
  const primesync::app::OperatorOptions& options = command.operator_options;
  if (options.data_dir) config.rocksdb.path = *options.data_dir;
  primesync::app::validate_config(config, primesync::app::ConfigUse::store_only);
  primesync::app::Adapters adapters;
  try {
    adapters = primesync::app::open_store(config);
  } catch (const primesync::DataDirInUse&) {
    std::cerr << "primesync-server: the data dir is in use by a running server; use the admin "
                 "endpoint (/admin/v1/, admin.token)\n";
    return exit_failure;
  }
  primesync::Store& store = *adapters.store;
  switch (command.subcommand) {
    case Subcommand::user_export: {
      const auto failure = admin::export_user(store, options.user, [](std::string_view chunk) {
        std::cout.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
      });
      if (failure) return report(*failure);
      std::cout << "\n";
      return 0;
    }
    case Subcommand::user_delete: {
      const auto deleted = admin::delete_user(store, options.user, config.queue.conflict_retries);
      if (!deleted) return report(deleted.failure());
      if (!deleted->existed) {
        std::cout << "user '" << options.user << "' is not stored: nothing to delete\n";
      } else {
        std::cout << "deleted user '" << options.user << "': " << deleted->items << " items, "
                  << deleted->devices << " devices, its lock and history\n";
      }
      return 0;
    }
    case Subcommand::user_list:
      (void)admin::list_users(store, options.limit,
                              [](const std::string& user_id) { std::cout << user_id << '\n'; });
      return 0;
    case Subcommand::backup: {
      const auto written = admin::backup(adapters.rocksdb, options.to);
      if (!written) return report(written.failure());
      std::cout << "backup of " << config.rocksdb.path << " written to " << written->directory
                << "\n";
      return 0;
    }
    default:
      throw std::logic_error("not an operator's subcommand");
  }
}

// Every push device holds a socket, so the soft limit of open files (1024 on a
// stock Debian) would cap the hub far below push.maxConnections: raise it to the
// hard limit the operator allows, as nginx's worker_rlimit_nofile does.
void raise_open_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  limit.rlim_cur = limit.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
    primesync::observe::log_event(primesync::observe::Level::warn,
                                  "could not raise the open-file limit to the hard limit");
  }
}

int serve(const primesync::Config& config) {
  raise_open_file_limit();
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
      adapters.probes, primesync::http::AdminTargets{adapters.store.get(), adapters.rocksdb},
      adapters.push_hub.get());
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
    if (command.subcommand == app::Subcommand::token) return print_token(config, command.token);
    if (command.subcommand != app::Subcommand::serve) return run_operator_command(config, command);
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
