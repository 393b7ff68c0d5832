// Builders of items and user states, so a test states only what matters to it.
#pragma once

#include <initializer_list>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "primesync/model.hpp"
#include "primesync/store.hpp"

namespace primesync::testing {

// A live item; `data` defaults to a stand-in ciphertext derived from the key.
[[nodiscard]] Item make_item(std::string key, Millis timestamp, std::string data_type = "Wallet",
                             std::string data = {});
// A deleted item (tombstone).
[[nodiscard]] Item make_tombstone(std::string key, Millis timestamp,
                                  std::string data_type = "Wallet");
[[nodiscard]] ItemPtr share(Item item);
// A lock item as clients send it.
[[nodiscard]] Item make_lock(Millis timestamp, std::string data = "lock-cipher");
// The keys of items, in order.
[[nodiscard]] std::vector<std::string> keys_of(const std::vector<ItemPtr>& items);
[[nodiscard]] std::vector<std::string> keys_of(const std::vector<const Item*>& items);

// Gives each write set of `batch` the precondition a store expects: the user's
// stored revision, counting the batch's earlier write sets of the same user (what
// the write queue does for every batch it commits).
void expect_stored_revisions(Store& store, std::span<WriteSet> batch);

// A stored user state, built fluently:
//   UserStateBuilder("u1").pwd_hash("p").nonce(3).item(make_item("a", 10)).device("A").build()
class UserStateBuilder {
 public:
  explicit UserStateBuilder(std::string user_id);

  UserStateBuilder& pwd_hash(std::string pwd_hash);
  UserStateBuilder& nonce(std::int64_t nonce);
  UserStateBuilder& prime(bool is_prime);
  UserStateBuilder& item(Item item);
  UserStateBuilder& items(std::vector<Item> items);
  UserStateBuilder& lock(Item lock, std::string pwd_hash);
  UserStateBuilder& device(std::string instance_id, Millis created_at = 0, Millis last_seen_at = 0);
  UserStateBuilder& devices(std::initializer_list<std::string> instance_ids);

  [[nodiscard]] UserState build() const { return state_; }
  [[nodiscard]] UserStatePtr shared() const { return std::make_shared<const UserState>(state_); }

 private:
  UserState state_;
};

}  // namespace primesync::testing
