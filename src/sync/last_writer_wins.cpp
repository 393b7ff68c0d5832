#include "sync/last_writer_wins.hpp"

namespace primesync::sync {

LastWriterWinsResult apply_last_writer_wins(const ItemIndex& stored, std::vector<Item> items,
                                            std::int64_t new_nonce, Millis now) {
  LastWriterWinsResult result;
  for (Item& item : items) {
    const Item* previous = stored.find(item.key);
    if (previous != nullptr && item.data_timestamp < previous->data_timestamp) {
      ++result.skipped;
      continue;
    }
    if (previous == nullptr) {
      ++result.created;
    } else {
      ++result.updated;
      result.overwritten.push_back(
          HistoryRecord{new_nonce, now, std::make_shared<const Item>(*previous)});
    }
    result.winners.push_back(std::make_shared<const Item>(std::move(item)));
  }
  return result;
}

}  // namespace primesync::sync
