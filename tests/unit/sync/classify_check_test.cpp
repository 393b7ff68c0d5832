// PROTOCOL.md §4.1 step 2, one row per branch of the classification.
#include "sync/classify_check.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "support/builders.hpp"
#include "sync/operations.hpp"

namespace primesync::sync {
namespace {

using testing::keys_of;
using testing::make_item;
using testing::make_tombstone;
using testing::UserStateBuilder;
using Keys = std::vector<std::string>;

constexpr std::int64_t stored_nonce = 5;

struct ClientEntry {
  std::string key;
  std::optional<Millis> timestamp;
  std::string data_type = "Wallet";
};

struct CheckCase {
  std::string name{};
  std::vector<Item> stored{};
  std::vector<ClientEntry> client{};
  std::vector<std::string> only_check_types{};
  std::int64_t request_nonce = 0;
  Keys deleted{};
  Keys obsoleted{};
  Keys diff{};
  Keys updated{};
};

// The request views the case's strings, which outlive it.
CheckRequest make_request(const CheckCase& test_case) {
  CheckRequest request;
  for (const ClientEntry& entry : test_case.client) {
    request.local_data.push_back(CheckEntry{entry.key, entry.data_type, entry.timestamp});
  }
  for (const std::string& type : test_case.only_check_types) {
    request.only_check_local_data_type.push_back(type);
  }
  request.pwd_hash = "pwd";
  request.nonce = test_case.request_nonce;
  return request;
}

Keys to_keys(const std::vector<std::string_view>& views) {
  return {views.begin(), views.end()};
}

class ClassifyCheckTest : public ::testing::TestWithParam<CheckCase> {};

TEST_P(ClassifyCheckTest, Classifies) {
  const CheckCase& test_case = GetParam();
  const UserState state =
      UserStateBuilder("u1").pwd_hash("pwd").nonce(stored_nonce).items(test_case.stored).build();

  const CheckResponse response = classify_check(state, make_request(test_case));

  EXPECT_EQ(to_keys(response.deleted), test_case.deleted);
  EXPECT_EQ(to_keys(response.obsoleted), test_case.obsoleted);
  EXPECT_EQ(keys_of(response.diff), test_case.diff);
  EXPECT_EQ(keys_of(response.updated), test_case.updated);
  EXPECT_EQ(response.nonce, stored_nonce);
  EXPECT_EQ(response.pwd_hash, "pwd");
}

const Item live_a = make_item("a", 10);
const Item dead_a = make_tombstone("a", 10);

INSTANTIATE_TEST_SUITE_P(
    Branches, ClassifyCheckTest,
    ::testing::Values(
        CheckCase{.name = "EmptyEverything"},
        CheckCase{.name = "UnknownClientKeysObsoletedInRequestOrder",
                  .client = {{"c", 1}, {"a", 1}, {"b", std::nullopt}},
                  .obsoleted = {"c", "a", "b"}},
        CheckCase{.name = "UnknownKeysReportedWhenRequestNonceEqualsUsers",
                  .client = {{"x", 1}},
                  .request_nonce = stored_nonce,
                  .obsoleted = {"x"}},
        CheckCase{.name = "UnknownKeysNotReportedWhenRequestNonceAhead",
                  .stored = {make_item("a", 10)},
                  .client = {{"x", 1}, {"a", 11}},
                  .request_nonce = stored_nonce + 1,
                  .obsoleted = {"a"}},
        CheckCase{.name = "StoredNotInClientIsUpdatedInKeyOrder",
                  .stored = {make_item("c", 1), make_item("a", 1), make_item("b", 1)},
                  .updated = {"a", "b", "c"}},
        CheckCase{.name = "StoredNotInClientSkippedWhenTypeOnlyCheckedLocally",
                  .stored = {make_item("a", 1, "Wallet"), make_item("b", 1, "Account"),
                             make_item("c", 1, "AddressBook")},
                  .only_check_types = {"Wallet", "AddressBook"},
                  .updated = {"b"}},
        CheckCase{.name = "StoredTombstoneNotInClientSkipped",
                  .stored = {make_tombstone("a", 10), make_item("b", 10)},
                  .updated = {"b"}},
        CheckCase{.name = "ClientWithoutTimestampIsDiff",
                  .stored = {live_a, make_tombstone("b", 3)},
                  .client = {{"a", std::nullopt}, {"b", std::nullopt}},
                  .diff = {"a", "b"}},
        CheckCase{.name = "OnlyCheckTypeDoesNotApplyToKeysTheClientSent",
                  .stored = {make_item("a", 10, "Wallet")},
                  .client = {{"a", 9}},
                  .only_check_types = {"Wallet"},
                  .updated = {"a"}},
        CheckCase{.name = "ClientNewerIsObsoleted",
                  .stored = {live_a},
                  .client = {{"a", 11}},
                  .obsoleted = {"a"}},
        CheckCase{.name = "ClientNewerThanTombstoneIsObsoleted",
                  .stored = {dead_a},
                  .client = {{"a", 11}},
                  .obsoleted = {"a"}},
        CheckCase{.name = "ClientOlderThanLiveIsUpdated",
                  .stored = {live_a},
                  .client = {{"a", 9}},
                  .updated = {"a"}},
        CheckCase{.name = "ClientOlderThanTombstoneIsDeleted",
                  .stored = {dead_a},
                  .client = {{"a", 9}},
                  .deleted = {"a"}},
        CheckCase{.name = "EqualTimesLiveIsNothing", .stored = {live_a}, .client = {{"a", 10}}},
        CheckCase{
            .name = "EqualTimesTombstoneIsNothing", .stored = {dead_a}, .client = {{"a", 10}}},
        CheckCase{.name = "UnknownKeysFirstThenStoredComparisonsInKeyOrder",
                  .stored = {make_item("a", 10), make_item("c", 10)},
                  .client = {{"c", 20}, {"z", 1}, {"a", 20}, {"b", 1}},
                  .obsoleted = {"z", "b", "a", "c"}},
        CheckCase{.name = "DuplicateLargerTimestampCountsWhenLater",
                  .stored = {live_a},
                  .client = {{"a", 5}, {"a", 12}},
                  .obsoleted = {"a"}},
        CheckCase{.name = "DuplicateLargerTimestampCountsWhenEarlier",
                  .stored = {live_a},
                  .client = {{"a", 12}, {"a", 5}},
                  .obsoleted = {"a"}},
        CheckCase{.name = "DuplicateMissingTimestampIsSmallestWhenFirst",
                  .stored = {live_a},
                  .client = {{"a", std::nullopt}, {"a", 9}},
                  .updated = {"a"}},
        CheckCase{.name = "DuplicateMissingTimestampIsSmallestWhenLast",
                  .stored = {live_a},
                  .client = {{"a", 9}, {"a", std::nullopt}},
                  .updated = {"a"}},
        CheckCase{.name = "DuplicateBothMissingIsDiffOnce",
                  .stored = {live_a},
                  .client = {{"a", std::nullopt}, {"a", std::nullopt}},
                  .diff = {"a"}},
        CheckCase{
            .name = "DuplicateTieCountsOnce", .stored = {live_a}, .client = {{"a", 10}, {"a", 10}}},
        CheckCase{.name = "DuplicateUnknownKeyObsoletedOnce",
                  .client = {{"x", 1}, {"x", 2}, {"y", 1}},
                  .obsoleted = {"x", "y"}},
        CheckCase{.name = "DuplicateNewerKeyObsoletedOnce",
                  .stored = {live_a},
                  .client = {{"a", 11}, {"a", 12}},
                  .obsoleted = {"a"}}),
    [](const ::testing::TestParamInfo<CheckCase>& info) { return info.param.name; });

TEST(AnswerCheckTest, PasswordGateAppliesBeforeClassifying) {
  const UserStatePtr state = UserStateBuilder("u1").pwd_hash("pwd").item(live_a).shared();
  CheckRequest request;
  request.pwd_hash = "other";
  const auto outcome = answer_check(state, request, 1234);
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(error_info(outcome.failure().error).code, 90006);
}

TEST(AnswerCheckTest, SetsServerTimeAndKeepsTheSnapshotAlive) {
  const UserStatePtr state = UserStateBuilder("u1").pwd_hash("pwd").nonce(3).item(live_a).shared();
  CheckRequest request;
  request.pwd_hash = "pwd";
  const auto outcome = answer_check(state, request, 1234);
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->server_time, 1234);
  EXPECT_EQ(outcome->snapshot, state);
  EXPECT_EQ(outcome->nonce, 3);
  EXPECT_EQ(outcome->pwd_hash, "pwd");
  EXPECT_EQ(keys_of(outcome->updated), Keys{"a"});
}

TEST(AnswerCheckTest, UserWithoutPasswordPassesAnyPwdHash) {
  const UserStatePtr state = UserStateBuilder("u1").shared();
  CheckRequest request;
  request.pwd_hash = "anything";
  EXPECT_TRUE(answer_check(state, request, 0).ok());
}

}  // namespace
}  // namespace primesync::sync
