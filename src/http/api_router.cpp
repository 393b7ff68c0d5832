#include "http/api_router.hpp"
#include "http/admin_routes.hpp"
#include "http/rate_limiter.hpp"

#include <boost/asio/this_coro.hpp>
#include <boost/beast/http/field.hpp>
#include <charconv>
#include <chrono>
#include <deque>
#include <optional>
#include <random>

#include "auth/jwt.hpp"
#include "auth/token_cache.hpp"
#include "http/await_completion.hpp"
#include "http/push_front.hpp"
#include "observe/logger.hpp"
#include "observe/request_metrics.hpp"
#include "protocol/request_parser.hpp"
#include "protocol/response_encoder.hpp"

namespace primesync::http {
namespace beast_http = boost::beast::http;

static_assert(protocol::RequestParser::padding <= body_padding,
              "the transport reserves the parser's padding after every body");

namespace {

enum class Route {
  check,
  upload,
  download,
  flush,
  get_lock,
  change_lock,
  user_info,
  login,
  logout,
  devices,
  remove_device,
  admin_list_users,  // the admin endpoint: admin_list_users .. admin_backup
  admin_export_user,
  admin_delete_user,
  admin_backup,
  message_ack,
  push_polling,
  healthz,
  readyz,
  metrics,
  unknown
};

struct RouteEntry {
  Route route;
  beast_http::verb method;
  std::string_view path;
  std::string_view name;         // for metrics and logs
  bool takes_parameter = false;  // the path is a prefix followed by one parameter
};

constexpr RouteEntry routes[] = {
    {Route::check, beast_http::verb::post, "/prime/v1/sync/check", "check"},
    {Route::upload, beast_http::verb::post, "/prime/v1/sync/upload", "upload"},
    {Route::download, beast_http::verb::post, "/prime/v1/sync/download", "download"},
    {Route::flush, beast_http::verb::post, "/prime/v1/sync/flush", "flush"},
    {Route::get_lock, beast_http::verb::get, "/prime/v1/sync/lock", "get_lock"},
    {Route::change_lock, beast_http::verb::post, "/prime/v1/sync/lock", "change_lock"},
    {Route::user_info, beast_http::verb::get, "/prime/v1/user/info", "user_info"},
    {Route::login, beast_http::verb::post, "/prime/v1/user/login", "login"},
    {Route::logout, beast_http::verb::post, "/prime/v1/user/logout", "logout"},
    {Route::devices, beast_http::verb::get, "/prime/v1/user/devices", "devices"},
    {Route::remove_device, beast_http::verb::post, "/prime/v1/user/device/", "remove_device", true},
    {Route::admin_list_users, beast_http::verb::get, "/admin/v1/users", "admin_list_users"},
    {Route::admin_export_user, beast_http::verb::get, "/admin/v1/users/", "admin_export_user",
     true},
    {Route::admin_delete_user, beast_http::verb::delete_, "/admin/v1/users/", "admin_delete_user",
     true},
    {Route::admin_backup, beast_http::verb::post, "/admin/v1/backup", "admin_backup"},
    {Route::message_ack, beast_http::verb::post, "/notification/v1/message/ack", "message_ack"},
    {Route::push_polling, beast_http::verb::get, PushFront::path, "push_polling"},
    {Route::push_polling, beast_http::verb::post, PushFront::path, "push_polling"},
    {Route::healthz, beast_http::verb::get, "/healthz", "healthz"},
    {Route::readyz, beast_http::verb::get, "/readyz", "readyz"},
    {Route::metrics, beast_http::verb::get, "/metrics", "metrics"},
};
constexpr std::size_t unknown_route_index = std::size(routes);
constexpr std::size_t max_identifier_bytes = 256;  // instance and request ids
constexpr std::size_t request_id_bytes = 128;      // longer client request ids are cut

struct RouteMatch {
  std::size_t index = unknown_route_index;
  Error error = Error::ok;  // not_found or method_not_allowed when no route fits
  std::string_view parameter;
};

bool is_admin(Route route) {
  return route >= Route::admin_list_users && route <= Route::admin_backup;
}

// The admin paths exist only while the admin endpoint is on.
RouteMatch match_route(beast_http::verb method, std::string_view target, bool admin_enabled) {
  const std::string_view path = target.substr(0, target.find('?'));
  bool path_known = false;
  for (std::size_t i = 0; i < std::size(routes); ++i) {
    const RouteEntry& entry = routes[i];
    if (is_admin(entry.route) && !admin_enabled) continue;
    std::string_view parameter;
    if (entry.takes_parameter) {
      if (!path.starts_with(entry.path) || path.size() == entry.path.size()) continue;
      parameter = path.substr(entry.path.size());
      if (parameter.find('/') != std::string_view::npos) continue;
    } else if (path != entry.path) {
      continue;
    }
    path_known = true;
    if (entry.method == method) return RouteMatch{i, Error::ok, parameter};
  }
  return RouteMatch{
      unknown_route_index, path_known ? Error::method_not_allowed : Error::not_found, {}};
}

// What a handled request produced, before it becomes an HTTP response.
struct Reply {
  Error error = Error::ok;
  std::string body;
  std::string_view content_type = "application/json";
  int status_override = 0;              // non-envelope routes
  std::chrono::seconds retry_after{0};  // 0: the configured queue.retryAfterSeconds
};

template <typename Response>
Reply encode(const Outcome<Response>& outcome) {
  Reply reply;
  if (outcome) {
    protocol::encode_success(outcome.value(), reply.body);
  } else {
    reply.error = outcome.failure().error;
    protocol::encode_failure(reply.error, outcome.failure().message, reply.body);
  }
  return reply;
}

Reply encode_failure(const Failure& failure) {
  return encode(Outcome<EmptyResponse>(failure));
}

// Strings of a CheckRequest that were unescaped into the parser's buffer would
// not survive the next parse on this thread; copy them into the request's frame.
void own_unescaped_strings(CheckRequest& request, std::string_view body,
                           std::deque<std::string>& storage) {
  auto own = [&](std::string_view& view) {
    const bool inside =
        view.data() >= body.data() && view.data() + view.size() <= body.data() + body.size();
    if (!inside) view = storage.emplace_back(view);
  };
  for (CheckEntry& entry : request.local_data) {
    own(entry.key);
    own(entry.data_type);
  }
  for (std::string_view& type : request.only_check_local_data_type) own(type);
}

// "<8 hex digits of this thread's random prefix>-<hex counter>", e.g. "c23dfc20-3".
std::string new_request_id() {
  constexpr int hex = 16;
  constexpr std::size_t prefix_digits = 8;
  thread_local const std::string prefix = [] {
    char digits[prefix_digits];
    auto value = static_cast<std::uint32_t>(std::random_device{}());
    for (std::size_t i = prefix_digits; i-- > 0; value /= hex)
      digits[i] = "0123456789abcdef"[value % hex];
    return std::string(digits, prefix_digits) + '-';
  }();
  thread_local std::uint64_t counter = 0;
  char buffer[24];
  const auto end = std::to_chars(buffer, buffer + sizeof buffer, ++counter, hex).ptr;
  std::string id;
  id.reserve(prefix.size() + static_cast<std::size_t>(end - buffer));
  id.append(prefix).append(buffer, end);
  return id;
}

std::string_view token_of(const Request& request) {
  if (auto token = request.find("X-Onekey-Request-Token"); token != request.end()) {
    return {token->value().data(), token->value().size()};
  }
  if (auto authorization = request.find(beast_http::field::authorization);
      authorization != request.end()) {
    std::string_view value(authorization->value().data(), authorization->value().size());
    constexpr std::string_view scheme = "Bearer ";
    if (value.size() > scheme.size() &&
        std::equal(scheme.begin(), scheme.end(), value.begin(),
                   [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
      return value.substr(scheme.size());
    }
  }
  return {};
}

}  // namespace

struct ApiRouter::Impl {
  Impl(const Config& config, SyncService& service, std::function<ServerStats()> server_stats,
       std::vector<observe::ComponentProbe> components, AdminTargets admin_targets, PushFront* push)
      : config(config),
        service(service),
        admin(config.admin, service, admin_targets),
        push(push),
        server_stats(std::move(server_stats)),
        components(std::move(components)),
        limiter(config.limits),
        limits(protocol::ParseLimits::from(config.limits)),
        tokens(config.auth.token_cache_entries),
        metrics([] {
          std::vector<std::string> names;
          for (const auto& entry : routes) names.emplace_back(entry.name);
          names.emplace_back("unknown");
          return names;
        }()) {}

  protocol::RequestParser& parser() {
    thread_local std::optional<protocol::RequestParser> instance;
    if (!instance || instance->limits().max_items != limits.max_items ||
        instance->limits().max_item_bytes != limits.max_item_bytes) {
      instance.emplace(limits);
    }
    return *instance;
  }

  Outcome<auth::TokenClaims> verify(std::string_view token) {
    const Millis now = wall_clock_now();
    if (auto cached = tokens.find(token, config.auth.leeway, now)) return *std::move(cached);
    auto claims = auth::verify_token(token, config.auth.jwt_secret, config.auth.leeway, now,
                                     config.auth.max_token_bytes);
    if (claims) tokens.remember(token, claims.value());
    return claims;
  }

  Outcome<Caller> authenticate(const Request& request) {
    auto claims = verify(token_of(request));
    if (!claims) return std::move(claims).failure();
    Caller caller{std::move(claims->subject), claims->prime, {}};
    if (auto instance = request.find("x-onekey-instance-id"); instance != request.end()) {
      if (instance->value().size() > max_identifier_bytes) {
        return fail(Error::bad_request, "x-onekey-instance-id: longer than 256 bytes");
      }
      caller.instance_id = std::string(instance->value());
    }
    return caller;
  }

  // Answers a shape failure, or runs `call` with the parsed request.
  template <typename Response, typename Parsed, typename Call>
  boost::asio::awaitable<Reply> parse_and_call(Outcome<Parsed> parsed, Call call) {
    if (!parsed) co_return encode_failure(parsed.failure());
    co_return encode(co_await await_completion<Response>(
        [&](Completion<Response> done) { call(std::move(parsed).value(), std::move(done)); }));
  }

  template <typename Response, typename Call>
  boost::asio::awaitable<Reply> call(Call call) {
    co_return encode(co_await await_completion<Response>(std::move(call)));
  }

  boost::asio::awaitable<Reply> serve(Route route, const Caller& caller, Request& request,
                                      std::string_view parameter) {
    std::string& body = request.body();
    body.reserve(body.size() + protocol::RequestParser::padding);
    const std::string_view json(body);
    auto& s = service;
    switch (route) {
      case Route::check: {
        auto parsed = parser().parse_check(json);
        std::deque<std::string> owned;
        if (parsed) own_unescaped_strings(parsed.value(), json, owned);
        co_return co_await parse_and_call<CheckResponse>(
            std::move(parsed),
            [&](CheckRequest r, auto done) { s.check(caller, std::move(r), done); });
      }
      case Route::upload:
        co_return co_await parse_and_call<WriteResponse>(
            parser().parse_upload(json),
            [&](UploadRequest r, auto done) { s.upload(caller, std::move(r), done); });
      case Route::download:
        co_return co_await parse_and_call<DownloadResponse>(
            parser().parse_download(json),
            [&](DownloadRequest r, auto done) { s.download(caller, std::move(r), done); });
      case Route::flush:
        co_return co_await parse_and_call<WriteResponse>(
            parser().parse_flush(json),
            [&](FlushRequest r, auto done) { s.flush(caller, std::move(r), done); });
      case Route::change_lock:
        co_return co_await parse_and_call<ChangeLockResponse>(
            parser().parse_change_lock(json),
            [&](ChangeLockRequest r, auto done) { s.change_lock(caller, std::move(r), done); });
      case Route::get_lock:
        co_return co_await call<LockResponse>([&](auto done) { s.get_lock(caller, done); });
      case Route::user_info:
        co_return co_await call<UserInfoResponse>([&](auto done) { s.user_info(caller, done); });
      case Route::login:
        co_return co_await call<LoginResponse>([&](auto done) { s.login(caller, done); });
      case Route::logout:
        co_return co_await call<EmptyResponse>([&](auto done) { s.logout(caller, done); });
      case Route::devices:
        co_return co_await call<DevicesResponse>([&](auto done) { s.devices(caller, done); });
      case Route::remove_device:
        if (parameter.size() > max_identifier_bytes) {
          co_return encode_failure(fail(Error::bad_request, "instanceId: longer than 256 bytes"));
        }
        co_return co_await call<EmptyResponse>(
            [&](auto done) { s.remove_device(caller, std::string(parameter), done); });
      default:
        co_return encode_failure(fail(Error::internal));
    }
  }

  // The admin endpoint: its own token instead of a user's, no rate limit.
  boost::asio::awaitable<Reply> serve_admin(Route route, Request& request,
                                            std::string_view parameter) {
    if (auto refused = admin.authorize(request)) co_return encode_failure(*refused);
    const std::string_view target = request.target();
    const std::size_t query_start = target.find('?');
    Outcome<std::string> answer = fail(Error::internal);
    switch (route) {
      case Route::admin_list_users:
        answer = co_await admin.list_users(
            query_start == std::string_view::npos ? "" : target.substr(query_start + 1));
        break;
      case Route::admin_export_user:
        answer = co_await admin.export_user(parameter);
        break;
      case Route::admin_delete_user:
        answer = co_await admin.delete_user(parameter);
        break;
      case Route::admin_backup:
        answer = co_await admin.backup(request.body());
        break;
      default:
        break;
    }
    if (!answer) co_return encode_failure(answer.failure());
    Reply reply;
    reply.body = std::move(answer).value();
    co_return reply;
  }

  // The socket.io path and the HTTP acknowledgement; 404 without a push hub.
  boost::asio::awaitable<Response> serve_push(Route route, std::size_t route_index,
                                              Request& request,
                                              std::chrono::steady_clock::time_point started) {
    if (push == nullptr) {
      co_return finish(encode_failure(fail(Error::not_found)), &request, unknown_route_index, {},
                       started);
    }
    if (route == Route::push_polling) {
      Response response = co_await push->handle_polling(request);
      const Error error =
          response.result() == beast_http::status::ok ? Error::ok : Error::bad_request;
      metrics.record(route_index, error, std::chrono::steady_clock::now() - started);
      co_return response;
    }
    std::string user_id;
    if (config.push.require_token) {
      auto caller = authenticate(request);
      if (!caller)
        co_return finish(encode_failure(caller.failure()), &request, route_index, {}, started);
      user_id = std::move(caller->user_id);
    }
    std::string& body = request.body();
    body.reserve(body.size() + protocol::RequestParser::padding);
    auto parsed = parser().parse_message_ack(body);
    if (!parsed)
      co_return finish(encode_failure(parsed.failure()), &request, route_index, user_id, started);
    std::string_view instance_id;
    if (auto header = request.find("x-onekey-instance-id"); header != request.end()) {
      instance_id = std::string_view(header->value().data(), header->value().size());
    }
    push->acknowledge(instance_id, parsed->message_id);
    co_return finish(encode(Outcome<EmptyResponse>(EmptyResponse{})), &request, route_index,
                     user_id, started);
  }

  Reply operational(Route route) const {
    Reply reply;
    reply.content_type = "text/plain; charset=utf-8";
    if (route == Route::healthz) {
      reply.body = "ok\n";
    } else if (route == Route::readyz) {
      bool ready = service.ready();
      std::string details;
      for (const observe::ComponentProbe& component : components) {
        const bool up = component.ready();
        ready = ready && (up || !component.required);
        details += component.name + (up ? ": up\n" : ": down\n");
      }
      reply.body = (ready ? "ready\n" : "store unavailable\n") + details;
      reply.status_override = ready ? 200 : 503;
    } else {
      reply.content_type = "text/plain; version=0.0.4";
      render_metrics(reply.body);
    }
    return reply;
  }

  void render_metrics(std::string& out) const {
    metrics.render(out);
    const ServiceStats s = service.stats();
    const ServerStats h = server_stats ? server_stats() : ServerStats{};
    const RateLimiter::Stats r = limiter.stats();
    observe::append_metrics(
        out,
        {
            {"primesync_cache_hits_total", "counter", "User state cache hits.", s.cache_hits},
            {"primesync_cache_misses_total", "counter", "User state cache misses.", s.cache_misses},
            {"primesync_cache_evictions_total", "counter", "Evicted cache entries.",
             s.cache_evictions},
            {"primesync_cache_bytes", "gauge", "Bytes held by the cache.", s.cache_bytes},
            {"primesync_cache_entries", "gauge", "Users held by the cache.", s.cache_entries},
            {"primesync_queue_depth", "gauge", "Operations waiting in the store queue.",
             s.queue_depth},
            {"primesync_queue_rejected_total", "counter",
             "Operations refused with 50300: queue full.", s.queue_rejected},
            {"primesync_store_batches_total", "counter", "Store commits (each one synced write).",
             s.batches},
            {"primesync_store_batched_writes_total", "counter",
             "Operations committed in those batches.", s.batched_writes},
            {"primesync_store_failures_total", "counter", "Failed store commits.",
             s.store_failures},
            {"primesync_rate_limited_user_total", "counter",
             "Requests answered 42900: the user's bucket was empty.", r.refused_user},
            {"primesync_rate_limited_instance_total", "counter",
             "Requests answered 42900: the instance's bucket was empty.", r.refused_instance},
            {"primesync_rate_limited_users", "gauge", "Users whose request rate is tracked.",
             r.users_tracked},
            {"primesync_store_conflicts_total", "counter",
             "Write sets another instance overtook (planned again).", s.store_conflicts},
            {"primesync_store_conflict_failures_total", "counter",
             "Operations answered 50300 after queue.conflictRetries re-plans.",
             s.conflict_failures},
            {"primesync_outbox_pending", "gauge", "Notifications read but not yet delivered.",
             s.outbox_pending},
            {"primesync_notifications_delivered_total", "counter",
             "Notifications delivered to every notifier.", s.notifications_delivered},
            {"primesync_notification_failures_total", "counter", "Failed deliveries (retried).",
             s.notification_failures},
            {"primesync_notifications_dropped_total", "counter",
             "Notifications given up after the maximum age.", s.notifications_dropped},
            {"primesync_connections_accepted_total", "counter", "Accepted connections.",
             h.connections_accepted},
            {"primesync_connections_active", "gauge", "Open connections.", h.connections_active},
            {"primesync_connections_refused_total", "counter",
             "Connections closed at accept: server.maxConnections were open.",
             h.connections_refused},
            {"primesync_http_rejected_too_large_total", "counter", "Bodies over server.bodyLimit.",
             h.rejected_too_large},
            {"primesync_http_read_timeouts_total", "counter",
             "Requests not read within server.readTimeoutMs.", h.read_timeouts},
            {"primesync_http_idle_timeouts_total", "counter",
             "Connections closed after server.idleTimeoutMs.", h.idle_timeouts},
            {"primesync_http_bad_requests_total", "counter", "Unparsable HTTP requests.",
             h.bad_requests},
        });
    if (!components.empty()) {
      out.append("# HELP primesync_component_up Whether the component answers (1) or not (0).\n")
          .append("# TYPE primesync_component_up gauge\n");
      for (const observe::ComponentProbe& component : components) {
        out.append("primesync_component_up{component=\"")
            .append(component.name)
            .append(component.ready() ? "\"} 1\n" : "\"} 0\n");
      }
    }
    for (const observe::ComponentProbe& component : components) {
      if (component.append_metrics) component.append_metrics(out);
    }
  }

  // Status, headers, access log and metrics: the same for every answer.
  Response finish(Reply reply, const Request* request, std::size_t route_index,
                  std::string_view user_id, std::chrono::steady_clock::time_point started) {
    const ErrorInfo& info = error_info(reply.error);
    const int status = reply.status_override != 0 ? reply.status_override : info.http_status;
    Response response{static_cast<beast_http::status>(status), request ? request->version() : 11};
    response.set(beast_http::field::content_type, reply.content_type);
    std::string request_id;
    if (request != nullptr) {
      if (auto header = request->find("x-onekey-request-id"); header != request->end()) {
        request_id = std::string(header->value().substr(0, request_id_bytes));
      }
    }
    if (request_id.empty()) request_id = new_request_id();
    response.set("x-onekey-request-id", request_id);
    if (reply.error == Error::unavailable || reply.error == Error::rate_limited) {
      const std::chrono::seconds retry_after =
          reply.retry_after.count() > 0 ? reply.retry_after : config.queue.retry_after;
      response.set(beast_http::field::retry_after, std::to_string(retry_after.count()));
    }
    if (reply.error == Error::method_not_allowed && request != nullptr) {
      std::string allowed;
      const std::string_view path = request->target().substr(0, request->target().find('?'));
      for (const auto& entry : routes) {
        if (entry.path == path) {
          allowed +=
              (allowed.empty() ? "" : ", ") + std::string(beast_http::to_string(entry.method));
        }
      }
      response.set(beast_http::field::allow, allowed);
    }
    response.body() = std::move(reply.body);
    const auto duration = std::chrono::steady_clock::now() - started;
    metrics.record(route_index, reply.error, duration);
    const std::string_view route_name =
        route_index < std::size(routes) ? routes[route_index].name : "unknown";
    if (route_index >= std::size(routes) || routes[route_index].route < Route::healthz) {
      observe::log_access(observe::AccessRecord{
          request_id, user_id, route_name,
          request ? std::string_view(request->method_string()) : std::string_view("-"), status,
          info.code, duration});
    }
    return response;
  }

  Config config;
  SyncService& service;
  AdminRoutes admin;
  PushFront* push;
  std::function<ServerStats()> server_stats;
  std::vector<observe::ComponentProbe> components;
  RateLimiter limiter;
  protocol::ParseLimits limits;
  auth::TokenCache tokens;
  mutable observe::RequestMetrics metrics;
};

ApiRouter::ApiRouter(const Config& config, SyncService& service,
                     std::function<ServerStats()> server_stats,
                     std::vector<observe::ComponentProbe> components, AdminTargets admin,
                     PushFront* push)
    : impl_(std::make_unique<Impl>(config, service, std::move(server_stats), std::move(components),
                                   admin, push)) {}

ApiRouter::~ApiRouter() = default;

boost::asio::awaitable<Response> ApiRouter::handle(Request& request) {
  const auto started = std::chrono::steady_clock::now();
  const RouteMatch match = match_route(request.method(), request.target(), impl_->admin.enabled());
  if (match.error != Error::ok) {
    co_return impl_->finish(encode_failure(fail(match.error)), &request, unknown_route_index, {},
                            started);
  }
  const Route route = routes[match.index].route;
  if (route == Route::push_polling || route == Route::message_ack) {
    co_return co_await impl_->serve_push(route, match.index, request, started);
  }
  if (route >= Route::healthz) {
    co_return impl_->finish(impl_->operational(route), &request, match.index, {}, started);
  }
  if (is_admin(route)) {
    Reply reply = co_await impl_->serve_admin(route, request, match.parameter);
    // The log names the user an export or delete was about.
    co_return impl_->finish(std::move(reply), &request, match.index, match.parameter, started);
  }
  auto caller = impl_->authenticate(request);
  if (!caller) {
    co_return impl_->finish(encode_failure(caller.failure()), &request, match.index, {}, started);
  }
  if (const auto wait = impl_->limiter.admit(caller->user_id)) {
    Reply refused = encode_failure(fail(Error::rate_limited, "too many requests, retry later"));
    refused.retry_after = *wait;
    co_return impl_->finish(std::move(refused), &request, match.index, caller->user_id, started);
  }
  Reply reply = co_await impl_->serve(route, caller.value(), request, match.parameter);
  co_return impl_->finish(std::move(reply), &request, match.index, caller->user_id, started);
}

Response ApiRouter::reject(Error error, std::string_view message, const Request* request) {
  return impl_->finish(encode_failure(fail(error, std::string(message))), request,
                       unknown_route_index, {}, std::chrono::steady_clock::now());
}

}  // namespace primesync::http
