#include "protocol/response_encoder.hpp"

#include <vector>

namespace primesync::protocol {
namespace {

constexpr std::size_t envelope_overhead = 64;  // {"code":..,"message":..,"data":..} + slack

// Writes {"code":0,"message":"success","data":<write_data>} after reserving room for
// `data_size_hint` bytes of data.
template <typename WriteData>
void encode_envelope(std::string& out, std::size_t data_size_hint, WriteData&& write_data) {
  out.reserve(out.size() + envelope_overhead + data_size_hint);
  const ErrorInfo& success = error_info(Error::ok);
  JsonWriter writer{StringSink(out)};
  writer.begin_object();
  writer.key("code").integer(success.code);
  writer.key("message").string(success.message);
  writer.key("data");
  write_data(writer);
  writer.end_object();
}

void write_keys(JsonWriter& writer, std::string_view name,
                const std::vector<std::string_view>& keys) {
  writer.key(name).begin_array();
  for (std::string_view key : keys) writer.string(key);
  writer.end_array();
}

void write_items(JsonWriter& writer, std::string_view name, const std::vector<const Item*>& items) {
  writer.key(name).begin_array();
  for (const Item* item : items) write_item(writer, *item);
  writer.end_array();
}

std::size_t estimated_size(const std::vector<std::string_view>& keys) noexcept {
  std::size_t size = 0;
  for (std::string_view key : keys) size += key.size() + 3;  // quotes and comma
  return size;
}

std::size_t estimated_size(const std::vector<const Item*>& items) noexcept {
  std::size_t size = 0;
  for (const Item* item : items) size += estimated_item_size(*item);
  return size;
}

constexpr std::size_t small_object_size = 128;  // a handful of scalar fields

}  // namespace

void encode_success(const CheckResponse& response, std::string& out) {
  const std::size_t hint = small_object_size + response.pwd_hash.size() +
                           estimated_size(response.deleted) + estimated_size(response.obsoleted) +
                           estimated_size(response.diff) + estimated_size(response.updated);
  encode_envelope(out, hint, [&](JsonWriter& writer) {
    writer.begin_object();
    write_keys(writer, "deleted", response.deleted);
    write_keys(writer, "obsoleted", response.obsoleted);
    write_items(writer, "diff", response.diff);
    write_items(writer, "updated", response.updated);
    writer.key("nonce").integer(response.nonce);
    writer.key("pwdHash").string(response.pwd_hash);
    writer.key("serverTime").integer(response.server_time);
    writer.end_object();
  });
}

void encode_success(const WriteResponse& response, std::string& out) {
  encode_envelope(out, small_object_size + response.pwd_hash.size(), [&](JsonWriter& writer) {
    writer.begin_object();
    writer.key("created").integer(response.created);
    writer.key("updated").integer(response.updated);
    if (response.skipped) writer.key("skipped").integer(*response.skipped);
    writer.key("nonce").integer(response.nonce);
    writer.key("pwdHash").string(response.pwd_hash);
    writer.end_object();
  });
}

void encode_success(const DownloadResponse& response, std::string& out) {
  const std::size_t hint =
      small_object_size + response.pwd_hash.size() + estimated_size(response.server_data);
  encode_envelope(out, hint, [&](JsonWriter& writer) {
    writer.begin_object();
    write_items(writer, "serverData", response.server_data);
    writer.key("nonce").integer(response.nonce);
    writer.key("pwdHash").string(response.pwd_hash);
    writer.key("hasMore").boolean(response.has_more);
    writer.end_object();
  });
}

void encode_success(const LockResponse& response, std::string& out) {
  std::size_t hint = small_object_size;
  if (response.lock) {
    hint += estimated_item_size(response.lock->item) + response.lock->pwd_hash.size() +
            response.user_id.size();
  }
  encode_envelope(out, hint, [&](JsonWriter& writer) {
    writer.begin_object();
    writer.key("lock");
    if (response.lock) {
      write_lock(writer, *response.lock, response.user_id);
    } else {
      writer.null();
    }
    writer.end_object();
  });
}

void encode_success(const ChangeLockResponse& response, std::string& out) {
  encode_envelope(out, small_object_size, [&](JsonWriter& writer) {
    writer.begin_object().key("updated").integer(response.updated).end_object();
  });
}

void encode_success(const UserInfoResponse& response, std::string& out) {
  const std::size_t hint =
      small_object_size + response.user_id.size() + response.salt.size() + response.pwd_hash.size();
  encode_envelope(out, hint, [&](JsonWriter& writer) {
    writer.begin_object();
    writer.key("userId").string(response.user_id);
    writer.key("salt").string(response.salt);
    writer.key("pwdHash").string(response.pwd_hash);
    writer.key("isPrime").boolean(response.is_prime);
    writer.key("nonce").integer(response.nonce);
    writer.end_object();
  });
}

void encode_success(const LoginResponse& response, std::string& out) {
  const std::size_t hint =
      small_object_size + response.user_id.size() + response.instance_id.size();
  encode_envelope(out, hint, [&](JsonWriter& writer) {
    writer.begin_object();
    writer.key("userId").string(response.user_id);
    writer.key("instanceId").string(response.instance_id);
    writer.end_object();
  });
}

void encode_success(const EmptyResponse& /*response*/, std::string& out) {
  encode_envelope(out, 2, [](JsonWriter& writer) { writer.begin_object().end_object(); });
}

void encode_success(const DevicesResponse& response, std::string& out) {
  std::size_t hint = small_object_size;
  for (const Device& device : response.devices) hint += device.instance_id.size() + 64;
  encode_envelope(out, hint, [&](JsonWriter& writer) {
    writer.begin_object().key("devices").begin_array();
    for (const Device& device : response.devices) write_device(writer, device);
    writer.end_array().end_object();
  });
}

void encode_success(const DeleteUserResponse& response, std::string& out) {
  encode_envelope(out, small_object_size + response.user_id.size(), [&](JsonWriter& writer) {
    writer.begin_object();
    writer.key("userId").string(response.user_id);
    writer.key("existed").boolean(response.existed);
    writer.key("items").integer(response.items);
    writer.key("devices").integer(response.devices);
    writer.end_object();
  });
}

void encode_success_json(std::string_view data_json, std::string& out) {
  encode_envelope(out, data_json.size(), [&](JsonWriter& writer) { writer.raw_value(data_json); });
}

void encode_failure(Error error, std::string_view message, std::string& out) {
  const ErrorInfo& info = error_info(error);
  if (message.empty()) message = info.message;
  out.reserve(out.size() + envelope_overhead + message.size());
  JsonWriter writer{StringSink(out)};
  writer.begin_object();
  writer.key("code").integer(info.code);
  writer.key("message").string(message);
  writer.key("data").null();
  writer.end_object();
}

}  // namespace primesync::protocol
