#include "sync/operations.hpp"

namespace primesync::sync {

Outcome<ChangeLockResponse> plan_change_lock(const UserState& state, ChangeLockRequest request,
                                             const OperationContext& context, WriteSet& writes) {
  UserRecord& user = user_record(state, writes);
  user.pwd_hash = request.pwd_hash;
  writes.put_lock = Lock{request.lock, user.pwd_hash};
  context.notifications.lock_change(state, user, context.caller.instance_id, request.lock,
                                    context.now, writes);
  return ChangeLockResponse{1};
}

LockResponse answer_get_lock(const UserState& state) {
  return LockResponse{state.lock, state.user.user_id};
}

}  // namespace primesync::sync
