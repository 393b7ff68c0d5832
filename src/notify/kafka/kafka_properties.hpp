// librdkafka client properties and the config keys they come from, so that the
// producer and the push feed's consumer build their configuration one way and
// name the key of whatever librdkafka refuses.
#pragma once

#include <librdkafka/rdkafka.h>

#include <string>
#include <string_view>
#include <vector>

namespace primesync {

struct KafkaProperty {
  const char* name;      // librdkafka's property
  const char* alias;     // another name librdkafka may use in errors, or ""
  std::string_view key;  // the config key it comes from; "" = a fixed one
  std::string value;
};

// A configuration holding every property, its log lines sent through the server's
// logger. Throws std::invalid_argument naming the key of a refused property.
[[nodiscard]] rd_kafka_conf_t* make_kafka_conf(const std::vector<KafkaProperty>& properties);

// The config keys whose properties an error of rd_kafka_new() names, such as
// "`message.timeout.ms` must be greater than `linger.ms`" (the Kafka section when
// it names none).
[[nodiscard]] std::string keys_named_in(std::string_view error,
                                        const std::vector<KafkaProperty>& properties);

}  // namespace primesync
