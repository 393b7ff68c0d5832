#include <algorithm>

#include "primesync/model.hpp"

namespace primesync {

void apply_write_set(UserState& state, const WriteSet& writes) {
  if (writes.empty()) return;
  if (writes.delete_user) {
    // What a store that keeps nothing of a deleted user loads next.
    state = UserState{};
    state.user.user_id = writes.user_id;
    return;
  }
  // Any write stores the user (a store writes the record with every write set).
  if (writes.user) state.user = *writes.user;
  state.user.user_id = writes.user_id;
  state.user.revision = writes.expected_revision + 1;
  state.exists = true;
  state.items.update(writes.delete_items, writes.put_items);
  if (writes.delete_lock) state.lock.reset();
  if (writes.put_lock) state.lock = writes.put_lock;
  for (const auto& instance_id : writes.delete_devices) {
    std::erase_if(state.devices,
                  [&](const Device& device) { return device.instance_id == instance_id; });
  }
  for (const auto& device : writes.put_devices) {
    auto it = std::find_if(state.devices.begin(), state.devices.end(),
                           [&](const Device& d) { return d.instance_id == device.instance_id; });
    if (it != state.devices.end()) {
      *it = device;
    } else {
      state.devices.push_back(device);
    }
  }
}

}  // namespace primesync
