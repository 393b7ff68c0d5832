#include "sync/operations.hpp"

namespace primesync::sync {

DeleteUserResponse plan_delete_user(const UserState& state, WriteSet& writes) {
  DeleteUserResponse response{writes.user_id, state.exists, 0, 0};
  if (!state.exists) return response;
  writes.delete_user = true;
  response.items = state.items.size();
  response.devices = state.devices.size();
  return response;
}

}  // namespace primesync::sync
