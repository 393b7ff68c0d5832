// The handler behind the transport: routes a request, authenticates it, parses
// its body into a typed request, calls the sync service and encodes the answer
// in the protocol's envelope. Also serves /healthz, /readyz and /metrics.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "http/admin_routes.hpp"
#include "http/handler.hpp"
#include "http/server_stats.hpp"
#include "observe/component_probe.hpp"
#include "primesync/config.hpp"
#include "primesync/sync_service.hpp"

namespace primesync::http {

class PushFront;

class ApiRouter final : public Handler {
 public:
  // `service` must outlive the router; `server_stats` feeds /metrics; `components`
  // add their readiness to /readyz and their figures to /metrics; `admin` is what
  // the admin endpoint works on (it is on with admin.token and a store); `push`
  // (may be null) serves the socket.io path and the HTTP acknowledgements of pushes.
  ApiRouter(const Config& config, SyncService& service, std::function<ServerStats()> server_stats,
            std::vector<observe::ComponentProbe> components = {}, AdminTargets admin = {},
            PushFront* push = nullptr);
  ~ApiRouter() override;

  boost::asio::awaitable<Response> handle(Request& request) override;
  Response reject(Error error, std::string_view message, const Request* request) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace primesync::http
