// Log lines are JSON objects, one per line, on stderr: the access log (request
// id, user, route, code, duration) and events. Never a token or ciphertext.
#pragma once

#include <chrono>
#include <string_view>

#include "primesync/config.hpp"

namespace primesync::observe {

void init_logging(const LogConfig& config);

struct AccessRecord {
  std::string_view request_id;
  std::string_view user_id;
  std::string_view route;
  std::string_view method;
  int status = 0;
  int code = 0;
  std::chrono::nanoseconds duration{0};
};

void log_access(const AccessRecord& record);

enum class Level { debug, info, warn, error };
void log_event(Level level, std::string_view message);

}  // namespace primesync::observe
