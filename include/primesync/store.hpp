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

  // Commits the write sets in order, each atomically and durably (it survives a
  // crash once this returns). The batch may be committed as one unit (group
  // commit); if this throws, none of the batch's write sets is committed.
  // Assigns each outbox entry's sequence number, increasing across all commits.
  virtual void commit(std::span<WriteSet> batch) = 0;

  // The oldest undelivered outbox entries, in sequence order.
  [[nodiscard]] virtual std::vector<OutboxEntry> read_outbox(std::size_t max_entries) = 0;

  // Removes delivered (or dropped) outbox entries.
  virtual void remove_outbox(std::span<const std::uint64_t> sequences) = 0;

  // Deletes history records written before `older_than`. Returns how many went.
  virtual std::size_t prune_history(Millis older_than) = 0;

  // True when the back end answers (for /readyz).
  [[nodiscard]] virtual bool ready() = 0;
};

}  // namespace primesync
