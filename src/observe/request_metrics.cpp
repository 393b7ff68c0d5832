#include "observe/request_metrics.hpp"

#include <algorithm>

namespace primesync::observe {

RequestMetrics::RequestMetrics(std::vector<std::string> routes) {
  routes_.reserve(routes.size());
  for (auto& name : routes) {
    routes_.push_back(std::make_unique<Route>());
    routes_.back()->name = std::move(name);
  }
}

void RequestMetrics::record(std::size_t route, Error error, std::chrono::nanoseconds duration) {
  Route& target = *routes_.at(route);
  target.by_error[static_cast<std::size_t>(error)].fetch_add(1, std::memory_order_relaxed);
  const double seconds = std::chrono::duration<double>(duration).count();
  const auto bucket = static_cast<std::size_t>(
      std::lower_bound(bucket_bounds.begin(), bucket_bounds.end(), seconds) -
      bucket_bounds.begin());
  target.buckets[bucket].fetch_add(1, std::memory_order_relaxed);
  target.total_nanoseconds.fetch_add(static_cast<std::uint64_t>(duration.count()),
                                     std::memory_order_relaxed);
}

void RequestMetrics::render(std::string& out) const {
  out += "# HELP primesync_requests_total Requests by route and protocol code.\n";
  out += "# TYPE primesync_requests_total counter\n";
  for (const auto& route : routes_) {
    for (std::size_t e = 0; e < error_count; ++e) {
      const auto count = route->by_error[e].load(std::memory_order_relaxed);
      if (count == 0) continue;
      out += "primesync_requests_total{route=\"" + route->name + "\",code=\"" +
             std::to_string(error_info(static_cast<Error>(e)).code) + "\"} " +
             std::to_string(count) + "\n";
    }
  }
  out += "# HELP primesync_request_duration_seconds Time from parsed request to response.\n";
  out += "# TYPE primesync_request_duration_seconds histogram\n";
  for (const auto& route : routes_) {
    std::uint64_t cumulative = 0;
    const std::string labels = "route=\"" + route->name + "\"";
    for (std::size_t b = 0; b <= bucket_bounds.size(); ++b) {
      cumulative += route->buckets[b].load(std::memory_order_relaxed);
      const std::string bound =
          b < bucket_bounds.size() ? std::to_string(bucket_bounds[b]) : "+Inf";
      out += "primesync_request_duration_seconds_bucket{" + labels + ",le=\"" + bound + "\"} " +
             std::to_string(cumulative) + "\n";
    }
    out += "primesync_request_duration_seconds_sum{" + labels + "} " +
           std::to_string(static_cast<double>(route->total_nanoseconds.load()) / 1e9) + "\n";
    out += "primesync_request_duration_seconds_count{" + labels + "} " +
           std::to_string(cumulative) + "\n";
  }
}

void append_metric(std::string& out, std::string_view name, std::string_view type,
                   std::string_view help, std::uint64_t value) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
  out.append(name).append(" ").append(std::to_string(value)).append("\n");
}

void append_metrics(std::string& out, std::initializer_list<MetricRow> rows) {
  for (const MetricRow& row : rows) append_metric(out, row.name, row.type, row.help, row.value);
}

}  // namespace primesync::observe
