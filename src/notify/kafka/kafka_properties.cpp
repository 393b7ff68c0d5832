#include "notify/kafka/kafka_properties.hpp"

#include <array>
#include <stdexcept>

#include "notify/kafka/kafka_log.hpp"

namespace primesync {
namespace {

// For errors no single key explains, and properties no key sets.
constexpr std::string_view config_section = "sync.adapters.kafka";
constexpr std::size_t error_text_bytes = 512;

std::string key_of(const KafkaProperty& property) {
  return std::string(property.key.empty() ? config_section : property.key);
}

}  // namespace

rd_kafka_conf_t* make_kafka_conf(const std::vector<KafkaProperty>& properties) {
  std::array<char, error_text_bytes> error{};
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  for (const KafkaProperty& property : properties) {
    if (rd_kafka_conf_set(conf, property.name, property.value.c_str(), error.data(),
                          error.size()) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      throw std::invalid_argument(key_of(property) + ": " + error.data());
    }
  }
  forward_kafka_log(conf);
  return conf;
}

std::string keys_named_in(std::string_view error, const std::vector<KafkaProperty>& properties) {
  std::string keys;
  for (const KafkaProperty& property : properties) {
    const bool named =
        error.find(property.name) != std::string_view::npos ||
        (*property.alias != '\0' && error.find(property.alias) != std::string_view::npos);
    if (!named) continue;
    if (!keys.empty()) keys += ", ";
    keys += key_of(property);
  }
  return keys.empty() ? std::string(config_section) : keys;
}

}  // namespace primesync
