#include "sync/gates.hpp"
#include "sync/last_writer_wins.hpp"
#include "sync/operations.hpp"
#include "sync/resolve_duplicates.hpp"

namespace primesync::sync {

Outcome<WriteResponse> plan_upload(const UserState& state, UploadRequest request,
                                   const OperationContext& context, WriteSet& writes) {
  if (auto failure = check_strict_gate(state.user, request.pwd_hash)) return *std::move(failure);
  if (auto failure = check_nonce_gate(state.user, request.nonce)) return *std::move(failure);

  const std::size_t duplicates = resolve_duplicate_items(request.local_data);
  const std::int64_t new_nonce = state.user.nonce + 1;
  auto result =
      apply_last_writer_wins(state.items, std::move(request.local_data), new_nonce, context.now);

  WriteResponse response{result.created, result.updated, result.skipped + duplicates,
                         state.user.nonce, state.user.pwd_hash};
  if (result.winners.empty()) return response;  // nothing won: no nonce bump, no notification

  UserRecord& user = user_record(state, writes);
  user.nonce = new_nonce;
  response.nonce = new_nonce;
  writes.history = std::move(result.overwritten);
  context.notifications.config_change(state, user, context.caller.instance_id, result.winners,
                                      context.now, writes);
  writes.put_items = std::move(result.winners);
  return response;
}

}  // namespace primesync::sync
