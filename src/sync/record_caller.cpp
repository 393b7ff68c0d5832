#include <algorithm>

#include "sync/operations.hpp"

namespace primesync::sync {

UserRecord& user_record(const UserState& state, WriteSet& writes) {
  if (!writes.user) writes.user = state.user;
  return *writes.user;
}

bool caller_is_prime(const OperationContext& context) {
  return context.caller.prime.value_or(context.config.auth.default_prime);
}

namespace {

constexpr std::size_t salt_bytes = 16;

const Device* find_device(const UserState& state, std::string_view instance_id) {
  auto it = std::find_if(state.devices.begin(), state.devices.end(),
                         [&](const Device& device) { return device.instance_id == instance_id; });
  return it == state.devices.end() ? nullptr : &*it;
}

}  // namespace

void record_caller(const UserState& state, const OperationContext& context, WriteSet& writes) {
  if (!state.exists) {
    UserRecord& user = user_record(state, writes);
    user.user_id = context.caller.user_id;
    user.salt = context.random_hex(salt_bytes);
    user.created_at = context.now;
  }
  if (const bool prime = caller_is_prime(context); !state.exists || state.user.is_prime != prime) {
    user_record(state, writes).is_prime = prime;
  }

  const std::string& instance_id = context.caller.instance_id;
  if (instance_id.empty()) return;
  const auto resolution = std::chrono::duration_cast<std::chrono::milliseconds>(
                              context.config.limits.device_seen_resolution)
                              .count();
  if (const Device* device = find_device(state, instance_id)) {
    if (context.now - device->last_seen_at >= resolution) {
      Device seen = *device;
      seen.last_seen_at = context.now;
      writes.put_devices.push_back(std::move(seen));
    }
  } else if (state.devices.size() < context.config.limits.max_devices) {
    writes.put_devices.push_back(Device{instance_id, context.now, context.now});
  }
}

Outcome<LoginResponse> plan_login(const UserState& state, const OperationContext& context,
                                  WriteSet& writes) {
  const std::string& instance_id = context.caller.instance_id;
  if (instance_id.empty()) {
    return fail(Error::bad_request, "x-onekey-instance-id: required to log in");
  }
  const bool registered =
      find_device(state, instance_id) != nullptr ||
      std::any_of(writes.put_devices.begin(), writes.put_devices.end(),
                  [&](const Device& device) { return device.instance_id == instance_id; });
  if (!registered) return fail(Error::too_many_devices);
  return LoginResponse{context.caller.user_id, instance_id};
}

Outcome<EmptyResponse> plan_forget_device(const UserState& state, const std::string& instance_id,
                                          WriteSet& writes) {
  if (instance_id.empty()) return fail(Error::bad_request, "instanceId: required");
  // The same request may just have registered it; forgetting wins.
  std::erase_if(writes.put_devices,
                [&](const Device& device) { return device.instance_id == instance_id; });
  if (find_device(state, instance_id) != nullptr) writes.delete_devices.push_back(instance_id);
  return EmptyResponse{};
}

DevicesResponse answer_devices(const UserState& state) {
  DevicesResponse response{state.devices};
  std::sort(response.devices.begin(), response.devices.end(),
            [](const Device& a, const Device& b) { return a.created_at < b.created_at; });
  return response;
}

UserInfoResponse answer_user_info(const UserState& state) {
  return UserInfoResponse{state.user.user_id, state.user.salt, state.user.pwd_hash,
                          state.user.is_prime, state.user.nonce};
}

}  // namespace primesync::sync
