// Decodes a notification message (PROTOCOL.md §5) with simdjson's DOM, so tests
// check what a consumer would read. Header-only: needs simdjson (via `primesync`).
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace primesync::testing {

struct DecodedMessage {
  std::string msg_id;
  std::string type;
  std::string user_id;
  std::vector<std::string> devices;
  std::optional<std::int64_t> nonce;
  std::string pwd_hash;
  std::optional<std::string> lock_key;
  std::optional<std::vector<std::string>> server_data_keys;
};

[[nodiscard]] inline DecodedMessage decode_message(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(simdjson::padded_string(json)).get(root) != simdjson::SUCCESS) {
    throw std::runtime_error("notification is not JSON: " + std::string(json));
  }
  DecodedMessage message;
  message.msg_id = std::string(root["msgId"].get_string().value());
  message.type = std::string(root["type"].get_string().value());
  message.user_id = std::string(root["userId"].get_string().value());
  // Arrays are named before the loop: a C++20 range-for over `...value()` would
  // outlive the temporary simdjson_result it points into.
  const simdjson::dom::array devices = root["devices"].get_array().value();
  for (auto device : devices) message.devices.emplace_back(device.get_string().value());
  simdjson::dom::element data = root["data"].value();
  message.pwd_hash = std::string(data["pwdHash"].get_string().value());
  if (std::int64_t nonce = 0; data["nonce"].get(nonce) == simdjson::SUCCESS) message.nonce = nonce;
  if (simdjson::dom::element lock; data["lock"].get(lock) == simdjson::SUCCESS) {
    message.lock_key = std::string(lock["key"].get_string().value());
  }
  if (simdjson::dom::array items; data["serverData"].get(items) == simdjson::SUCCESS) {
    message.server_data_keys.emplace();
    for (auto item : items) {
      message.server_data_keys->emplace_back(item["key"].get_string().value());
    }
  }
  return message;
}

}  // namespace primesync::testing
