// PROTOCOL.md §4.2 step 2: an incoming item wins when nothing is stored under its
// key or its dataTimestamp is at least the stored one's (a tie goes to the
// incoming copy).
#pragma once

#include <cstddef>
#include <vector>

#include "primesync/model.hpp"

namespace primesync::sync {

struct LastWriterWinsResult {
  std::vector<ItemPtr> winners;
  std::vector<HistoryRecord> overwritten;  // previous versions of the winners' keys
  std::size_t created = 0;
  std::size_t updated = 0;
  std::size_t skipped = 0;
};

// `items` must hold one copy per key (see resolve_duplicate_items).
[[nodiscard]] LastWriterWinsResult apply_last_writer_wins(const ItemIndex& stored,
                                                          std::vector<Item> items,
                                                          std::int64_t new_nonce, Millis now);

}  // namespace primesync::sync
