#include "observe/logger.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>

#include "primesync/model.hpp"
#include "protocol/json_writer.hpp"

namespace primesync::observe {
namespace {

std::shared_ptr<spdlog::logger>& logger() {
  static std::shared_ptr<spdlog::logger> instance = spdlog::stderr_logger_mt("primesync");
  return instance;
}

bool access_log_enabled = true;

spdlog::level::level_enum to_spdlog(Level level) {
  switch (level) {
    case Level::debug:
      return spdlog::level::debug;
    case Level::info:
      return spdlog::level::info;
    case Level::warn:
      return spdlog::level::warn;
    case Level::error:
      return spdlog::level::err;
  }
  return spdlog::level::info;
}

}  // namespace

void init_logging(const LogConfig& config) {
  logger()->set_pattern("%v");  // the message is the whole JSON line
  logger()->set_level(spdlog::level::from_str(config.level));
  logger()->flush_on(spdlog::level::warn);
  access_log_enabled = config.access_log;
}

void log_access(const AccessRecord& record) {
  if (!access_log_enabled || !logger()->should_log(spdlog::level::info)) return;
  std::string line;
  line.reserve(256);
  protocol::BasicJsonWriter writer{protocol::StringSink(line)};
  writer.begin_object()
      .key("time")
      .integer(wall_clock_now())
      .key("level")
      .string("info")
      .key("event")
      .string("request")
      .key("requestId")
      .string(record.request_id)
      .key("user")
      .string(record.user_id)
      .key("method")
      .string(record.method)
      .key("route")
      .string(record.route)
      .key("status")
      .integer(record.status)
      .key("code")
      .integer(record.code)
      .key("durationUs")
      .integer(std::chrono::duration_cast<std::chrono::microseconds>(record.duration).count())
      .end_object();
  logger()->info(line);
}

void log_event(Level level, std::string_view message) {
  const auto spdlog_level = to_spdlog(level);
  if (!logger()->should_log(spdlog_level)) return;
  const auto name = spdlog::level::to_string_view(spdlog_level);
  const std::string_view level_name(name.data(), name.size());
  std::string line;
  protocol::BasicJsonWriter writer{protocol::StringSink(line)};
  writer.begin_object()
      .key("time")
      .integer(wall_clock_now())
      .key("level")
      .string(level_name)
      .key("event")
      .string(message)
      .end_object();
  logger()->log(spdlog_level, line);
}

}  // namespace primesync::observe
