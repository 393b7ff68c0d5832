#include "support/builders.hpp"

namespace primesync::testing {

Item make_item(std::string key, Millis timestamp, std::string data_type, std::string data) {
  if (data.empty()) data = "cipher-of-" + key;
  return Item{std::move(key), std::move(data_type), std::move(data), timestamp, false};
}

Item make_tombstone(std::string key, Millis timestamp, std::string data_type) {
  return Item{std::move(key), std::move(data_type), "", timestamp, true};
}

ItemPtr share(Item item) {
  return std::make_shared<const Item>(std::move(item));
}

Item make_lock(Millis timestamp, std::string data) {
  return Item{"lock", "Lock", std::move(data), timestamp, false};
}

std::vector<std::string> keys_of(const std::vector<ItemPtr>& items) {
  std::vector<std::string> keys;
  for (const ItemPtr& item : items) keys.push_back(item->key);
  return keys;
}

std::vector<std::string> keys_of(const std::vector<const Item*>& items) {
  std::vector<std::string> keys;
  for (const Item* item : items) keys.push_back(item->key);
  return keys;
}

UserStateBuilder::UserStateBuilder(std::string user_id) {
  state_.exists = true;
  state_.user.user_id = std::move(user_id);
  state_.user.salt = "salt";
  state_.user.is_prime = true;
}

UserStateBuilder& UserStateBuilder::pwd_hash(std::string pwd_hash) {
  state_.user.pwd_hash = std::move(pwd_hash);
  return *this;
}

UserStateBuilder& UserStateBuilder::nonce(std::int64_t nonce) {
  state_.user.nonce = nonce;
  return *this;
}

UserStateBuilder& UserStateBuilder::prime(bool is_prime) {
  state_.user.is_prime = is_prime;
  return *this;
}

UserStateBuilder& UserStateBuilder::item(Item item) {
  state_.items.put(share(std::move(item)));
  return *this;
}

UserStateBuilder& UserStateBuilder::items(std::vector<Item> items) {
  for (Item& item : items) this->item(std::move(item));
  return *this;
}

UserStateBuilder& UserStateBuilder::lock(Item lock, std::string pwd_hash) {
  state_.lock = Lock{std::move(lock), std::move(pwd_hash)};
  return *this;
}

UserStateBuilder& UserStateBuilder::device(std::string instance_id, Millis created_at,
                                           Millis last_seen_at) {
  state_.devices.push_back(Device{std::move(instance_id), created_at, last_seen_at});
  return *this;
}

UserStateBuilder& UserStateBuilder::devices(std::initializer_list<std::string> instance_ids) {
  for (const std::string& id : instance_ids) device(id);
  return *this;
}

void expect_stored_revisions(Store& store, std::span<WriteSet> batch) {
  std::map<std::string, std::uint64_t, std::less<>> revisions;
  for (WriteSet& writes : batch) {
    if (writes.empty()) continue;
    auto [known, inserted] = revisions.try_emplace(writes.user_id);
    if (inserted) known->second = store.load_revision(writes.user_id);
    writes.expected_revision = known->second++;
  }
}

}  // namespace primesync::testing
