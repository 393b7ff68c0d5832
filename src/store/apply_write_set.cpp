#include <algorithm>

#include "primesync/model.hpp"

namespace primesync {

UserState applied_write_set(const UserState& state, const WriteSet& writes) {
  if (writes.empty()) return state;
  UserState next;
  next.user.user_id = writes.user_id;
  // What a store that keeps nothing of a deleted user loads next.
  if (writes.delete_user) return next;
  // Any write stores the user (a store writes the record with every write set).
  next.user = writes.user ? *writes.user : state.user;
  next.user.user_id = writes.user_id;
  next.user.revision = writes.expected_revision + 1;
  next.exists = true;
  next.items = state.items.updated(writes.delete_items, writes.put_items);
  if (writes.put_lock) {
    next.lock = writes.put_lock;
  } else if (!writes.delete_lock) {
    next.lock = state.lock;
  }
  next.devices = state.devices;
  for (const auto& instance_id : writes.delete_devices) {
    std::erase_if(next.devices,
                  [&](const Device& device) { return device.instance_id == instance_id; });
  }
  for (const auto& device : writes.put_devices) {
    auto it = std::find_if(next.devices.begin(), next.devices.end(),
                           [&](const Device& d) { return d.instance_id == device.instance_id; });
    if (it != next.devices.end()) {
      *it = device;
    } else {
      next.devices.push_back(device);
    }
  }
  return next;
}

void apply_write_set(UserState& state, const WriteSet& writes) {
  state = applied_write_set(state, writes);
}

}  // namespace primesync
