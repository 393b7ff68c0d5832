#include "notify/kafka/kafka_log.hpp"

#include <string>

#include "observe/logger.hpp"

namespace primesync {
namespace {

// Syslog levels of librdkafka's log callback.
constexpr int syslog_error = 3;
constexpr int syslog_warning = 4;
constexpr int syslog_info = 6;

observe::Level log_level(int syslog_level) {
  if (syslog_level <= syslog_error) return observe::Level::error;
  if (syslog_level == syslog_warning) return observe::Level::warn;
  if (syslog_level <= syslog_info) return observe::Level::info;
  return observe::Level::debug;
}

// Called from librdkafka's threads.
void on_log(const rd_kafka_t* /*client*/, int level, const char* facility, const char* text) {
  observe::log_event(log_level(level), std::string("kafka ") + facility + ": " + text);
}

}  // namespace

void forward_kafka_log(rd_kafka_conf_t* conf) {
  rd_kafka_conf_set_log_cb(conf, &on_log);
}

}  // namespace primesync
