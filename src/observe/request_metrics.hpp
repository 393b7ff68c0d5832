// Requests by route and code, and latency histograms by route, kept in atomics
// so every I/O thread records without a lock; rendered as Prometheus text.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "primesync/error.hpp"

namespace primesync::observe {

class RequestMetrics {
 public:
  explicit RequestMetrics(std::vector<std::string> routes);

  void record(std::size_t route, Error error, std::chrono::nanoseconds duration);

  // Appends the `primesync_requests_total` counter and the
  // `primesync_request_duration_seconds` histogram.
  void render(std::string& out) const;

 private:
  static constexpr std::array<double, 14> bucket_bounds = {0.00005, 0.0001, 0.00025, 0.0005, 0.001,
                                                           0.0025,  0.005,  0.01,    0.025,  0.05,
                                                           0.1,     0.25,   1.0,     5.0};
  static constexpr std::size_t error_count = static_cast<std::size_t>(Error::internal) + 1;

  struct Route {
    std::string name;
    std::array<std::atomic<std::uint64_t>, error_count> by_error{};
    std::array<std::atomic<std::uint64_t>, bucket_bounds.size() + 1> buckets{};
    std::atomic<std::uint64_t> total_nanoseconds{0};
  };
  std::vector<std::unique_ptr<Route>> routes_;
};

// Appends one metric in Prometheus text format.
void append_metric(std::string& out, std::string_view name, std::string_view type,
                   std::string_view help, std::uint64_t value);

// One unlabelled metric, for tables of them.
struct MetricRow {
  std::string_view name, type, help;
  std::uint64_t value;
};

// Appends each row with append_metric.
void append_metrics(std::string& out, std::initializer_list<MetricRow> rows);

}  // namespace primesync::observe
