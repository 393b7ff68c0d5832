#include "sync/gates.hpp"
#include "sync/operations.hpp"
#include "sync/resolve_duplicates.hpp"

namespace primesync::sync {

Outcome<WriteResponse> plan_flush(const UserState& state, FlushRequest request,
                                  const OperationContext& context, WriteSet& writes) {
  if (!request.local_data.empty() && (request.pwd_hash.empty() || !request.lock)) {
    return fail(Error::password_mismatch, "a flush with items needs a pwdHash and a lock");
  }
  if (auto failure = check_nonce_gate(state.user, request.nonce)) return *std::move(failure);

  UserRecord& user = user_record(state, writes);
  user.nonce = state.user.nonce + 1;
  user.pwd_hash = request.pwd_hash;

  if (request.lock) {
    writes.put_lock = Lock{*request.lock, user.pwd_hash};
  } else if (request.local_data.empty() && request.pwd_hash.empty()) {
    writes.delete_lock = state.lock.has_value();  // the reset case
  }

  // Replace the whole set: archive and delete every stored item, write the new ones.
  writes.history.reserve(state.items.size());
  writes.delete_items.reserve(state.items.size());
  for (const ItemPtr& item : state.items) {
    writes.history.push_back(HistoryRecord{user.nonce, context.now, item});
    writes.delete_items.push_back(item->key);
  }
  resolve_duplicate_items(request.local_data);
  writes.put_items.reserve(request.local_data.size());
  for (Item& item : request.local_data) {
    writes.put_items.push_back(std::make_shared<const Item>(std::move(item)));
  }

  context.notifications.config_flush(state, user, context.caller.instance_id, request.lock,
                                     context.now, writes);
  return WriteResponse{writes.put_items.size(), 0, std::nullopt, user.nonce, user.pwd_hash};
}

}  // namespace primesync::sync
