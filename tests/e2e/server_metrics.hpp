// What an e2e test reads from a running server: the samples of its GET /metrics,
// and a poll with a deadline for conditions that come true asynchronously (a
// counter bumped on another thread, a socket closed by a timer). No blind sleeps.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace primesync::e2e {

// Counters and gauges of the transport (src/http/server_stats.hpp) as /metrics names them.
inline constexpr std::string_view kConnectionsActive = "primesync_connections_active";
inline constexpr std::string_view kConnectionsRefused = "primesync_connections_refused_total";
inline constexpr std::string_view kReadTimeouts = "primesync_http_read_timeouts_total";
inline constexpr std::string_view kIdleTimeouts = "primesync_http_idle_timeouts_total";

using MetricSamples = std::map<std::string, double, std::less<>>;

// The samples of GET /metrics by their full name (labels included), on a
// connection of its own. Throws HttpError when the server does not answer 200.
[[nodiscard]] MetricSamples scrape_metrics(std::uint16_t port);

// One sample; throws std::runtime_error naming it when it is absent.
[[nodiscard]] double metric(const MetricSamples& samples, std::string_view name);

// Polls `condition` until it holds (true) or `deadline` has passed (false). An
// exception from the condition counts as "not yet" (e.g. a refused connection).
[[nodiscard]] bool eventually(std::chrono::milliseconds deadline,
                              const std::function<bool()>& condition);

}  // namespace primesync::e2e
