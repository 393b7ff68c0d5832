#include "server_metrics.hpp"

#include <exception>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "http_client.hpp"

namespace primesync::e2e {
namespace {

// Between two polls: short against every deadline the tests use, long enough
// not to load the server under test.
constexpr auto kPollInterval = std::chrono::milliseconds(20);

}  // namespace

MetricSamples scrape_metrics(std::uint16_t port) {
  HttpClient http("127.0.0.1", port);
  const HttpResponse response = http.request("GET", "/metrics");
  if (response.status != 200) {
    throw HttpError("/metrics answered " + std::to_string(response.status));
  }
  MetricSamples samples;
  std::istringstream lines(response.body);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    const std::size_t space = line.rfind(' ');
    if (space == std::string::npos) continue;
    samples[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return samples;
}

double metric(const MetricSamples& samples, std::string_view name) {
  const auto found = samples.find(name);
  if (found == samples.end()) throw std::runtime_error("/metrics has no " + std::string(name));
  return found->second;
}

bool eventually(std::chrono::milliseconds deadline, const std::function<bool()>& condition) {
  const auto give_up = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    try {
      if (condition()) return true;
    } catch (const std::exception&) {
      // Not yet: the condition could not be evaluated this time.
    }
    if (std::chrono::steady_clock::now() >= give_up) return false;
    std::this_thread::sleep_for(kPollInterval);
  }
}

}  // namespace primesync::e2e
