// The storage seam. A Store is a blocking, thread-safe persistence back end; the
// service calls it only from its own store worker threads (never from an I/O
// thread), one user's calls strictly serialised. Implement it to put primesync on
// another database. Failures to reach or write the back end throw StoreUnavailable.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "primesync/model.hpp"

namespace primesync {

class Store {
 public:
  virtual ~Store() = default;

  // The user's complete stored state; `exists` false when the user was never stored.
  [[nodiscard]] virtual UserState load_user(std::string_view user_id) = 0;

  // The user's stored revision (UserRecord::revision; 0 for a user never stored):
  // a cheap way to learn whether a cached state is still the stored one.
  [[nodiscard]] virtual std::uint64_t load_revision(std::string_view user_id) = 0;

  // Commits the write sets in order, each atomically and durably (it survives a
  // crash once this returns), each only if its precondition holds: the user's
  // stored revision equals `expected_revision` (counting the batch's earlier write
  // sets of that user). A write set that fails it is a conflict: nothing of it is
  // written, and every later write set of the same user in the batch is a conflict
  // too (it was planned on top of the failed one). Returns one status per write set.
  // If this throws, the batch may be partly committed only where the store's
  // documented crash order lets a reload see a complete write set or none of it;
  // the caller treats every write set of the batch as not acknowledged.
  // Assigns each committed outbox entry's sequence number, increasing across all
  // commits, and per user in commit order.
  [[nodiscard]] virtual std::vector<CommitStatus> commit(std::span<WriteSet> batch) = 0;

  // Up to `limit` ids of stored users (UserState::exists), in an order of the
  // store's choosing that never changes, starting after `after` ("" = from the
  // first). Page through every user by passing the last id of a page as `after`.
  [[nodiscard]] virtual std::vector<std::string> list_users(std::string_view after,
                                                            std::size_t limit) = 0;

  // The oldest undelivered outbox entries, in sequence order.
  [[nodiscard]] virtual std::vector<OutboxEntry> read_outbox(std::size_t max_entries) = 0;

  // Removes delivered (or dropped) outbox entries.
  virtual void remove_outbox(std::span<const std::uint64_t> sequences) = 0;

  // Deletes history records written before `older_than`. Returns how many went.
  virtual std::size_t prune_history(Millis older_than) = 0;

  // True when the back end answers (for /readyz).
  [[nodiscard]] virtual bool ready() = 0;

  // True when other processes write to this store too (several server instances
  // on one database): a cached state may then be overtaken at any time, so the
  // service confirms its revision before answering a read from it.
  [[nodiscard]] virtual bool shared() const { return false; }
};

}  // namespace primesync
