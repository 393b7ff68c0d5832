#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "primesync/model.hpp"

namespace primesync {

const Item* ItemIndex::find(std::string_view key) const noexcept {
  const std::size_t position = lower_bound(key);
  return position != size() && this->key(position) == key ? items_[position].get() : nullptr;
}

void ItemIndex::put(ItemPtr item) {
  const std::size_t position = lower_bound(item->key);
  if (position == size()) {
    push_back(std::move(item));
  } else if (key(position) == item->key) {
    timestamps_[position] = item->data_timestamp;
    items_[position] = std::move(item);
  } else {
    insert_at(position, std::move(item));
  }
}

ItemIndex ItemIndex::updated(const std::vector<std::string>& erase_keys,
                             const std::vector<ItemPtr>& put_items) const {
  if (erase_keys.empty() && put_items.empty()) return *this;
  // Every change by key; within a key, the last change counts (puts come after erases).
  struct Change {
    std::string_view key;
    const ItemPtr* put;  // null: erase
  };
  std::vector<Change> changes;
  changes.reserve(erase_keys.size() + put_items.size());
  for (const std::string& key : erase_keys) changes.push_back(Change{key, nullptr});
  for (const ItemPtr& item : put_items) changes.push_back(Change{item->key, &item});
  std::stable_sort(changes.begin(), changes.end(),
                   [](const Change& a, const Change& b) { return a.key < b.key; });

  ItemIndex merged;
  merged.items_.reserve(size() + put_items.size());
  merged.timestamps_.reserve(size() + put_items.size());
  merged.key_ends_.reserve(size() + put_items.size());
  merged.keys_.reserve(keys_.size());
  std::size_t position = 0;
  for (std::size_t next = 0; next < changes.size();) {
    const std::string_view key = changes[next].key;
    // The stored items before this key stay as they are.
    for (; position < size() && this->key(position) < key; ++position) {
      merged.push_back_from(*this, position);
    }
    if (position < size() && this->key(position) == key) ++position;  // replaced or erased
    while (next + 1 < changes.size() && changes[next + 1].key == key) ++next;
    if (changes[next].put != nullptr) merged.push_back(*changes[next].put);
    ++next;
  }
  for (; position < size(); ++position) merged.push_back_from(*this, position);
  return merged;
}

void ItemIndex::assign(std::vector<ItemPtr> items) {
  std::sort(items.begin(), items.end(),
            [](const ItemPtr& a, const ItemPtr& b) { return a->key < b->key; });
  clear();
  items_.reserve(items.size());
  timestamps_.reserve(items.size());
  key_ends_.reserve(items.size());
  std::size_t key_bytes = 0;
  for (const ItemPtr& item : items) key_bytes += item->key.size();
  keys_.reserve(key_bytes);
  for (ItemPtr& item : items) push_back(std::move(item));
}

void ItemIndex::clear() noexcept {
  items_.clear();
  keys_.clear();
  key_ends_.clear();
  timestamps_.clear();
}

std::size_t ItemIndex::lower_bound(std::string_view key) const noexcept {
  std::size_t first = 0;
  std::size_t count = size();
  while (count > 0) {
    const std::size_t half = count / 2;
    if (this->key(first + half) < key) {
      first += half + 1;
      count -= half + 1;
    } else {
      count = half;
    }
  }
  return first;
}

void ItemIndex::insert_at(std::size_t position, ItemPtr item) {
  const std::size_t start = position == 0 ? 0 : key_ends_[position - 1];
  const std::size_t length = item->key.size();
  keys_.insert(start, item->key);
  key_ends_.insert(key_ends_.begin() + static_cast<std::ptrdiff_t>(position), start + length);
  for (std::size_t i = position + 1; i < key_ends_.size(); ++i) key_ends_[i] += length;
  timestamps_.insert(timestamps_.begin() + static_cast<std::ptrdiff_t>(position),
                     item->data_timestamp);
  items_.insert(items_.begin() + static_cast<std::ptrdiff_t>(position), std::move(item));
}

void ItemIndex::push_back(ItemPtr item) {
  keys_.append(item->key);
  key_ends_.push_back(keys_.size());
  timestamps_.push_back(item->data_timestamp);
  items_.push_back(std::move(item));
}

// Copies from the other index's contiguous arrays, not from its items' heap blocks.
void ItemIndex::push_back_from(const ItemIndex& other, std::size_t position) {
  keys_.append(other.key(position));
  key_ends_.push_back(keys_.size());
  timestamps_.push_back(other.timestamps_[position]);
  items_.push_back(other.items_[position]);
}

}  // namespace primesync
