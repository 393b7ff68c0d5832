// PROTOCOL.md §4.3 download: selection, cursor, offset, page size and hasMore.
#include <gtest/gtest.h>

#include "support/builders.hpp"
#include "sync/operations.hpp"

namespace primesync::sync {
namespace {

using testing::keys_of;
using testing::make_item;
using testing::make_tombstone;
using testing::UserStateBuilder;
using Keys = std::vector<std::string>;

struct DownloadCase {
  std::string name{};
  bool include_deleted = false;
  std::size_t skip = 0;
  std::size_t limit = 0;
  std::optional<std::string> after{};
  std::size_t max_page_size = 100;
  Keys expected{};
  bool has_more = false;
};

class AnswerDownloadTest : public ::testing::TestWithParam<DownloadCase> {
 protected:
  // a, c, d, e live; b a tombstone.
  const UserStatePtr state_ =
      UserStateBuilder("u1")
          .pwd_hash("pwd")
          .nonce(3)
          .items({make_item("e", 1), make_item("a", 1), make_tombstone("b", 1), make_item("d", 1),
                  make_item("c", 1)})
          .shared();
};

TEST_P(AnswerDownloadTest, SelectsThePage) {
  const DownloadCase& test_case = GetParam();
  DownloadRequest request;
  request.pwd_hash = "pwd";
  request.include_deleted = test_case.include_deleted;
  request.skip = test_case.skip;
  request.limit = test_case.limit;
  request.after = test_case.after;

  const auto outcome = answer_download(state_, request, test_case.max_page_size);
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(keys_of(outcome->server_data), test_case.expected);
  EXPECT_EQ(outcome->has_more, test_case.has_more);
  EXPECT_EQ(outcome->nonce, 3);
  EXPECT_EQ(outcome->pwd_hash, "pwd");
  EXPECT_EQ(outcome->snapshot, state_);
}

INSTANTIATE_TEST_SUITE_P(
    Table, AnswerDownloadTest,
    ::testing::Values(
        DownloadCase{.name = "EverythingLiveByKey", .expected = {"a", "c", "d", "e"}},
        DownloadCase{.name = "IncludeDeleted",
                     .include_deleted = true,
                     .expected = {"a", "b", "c", "d", "e"}},
        DownloadCase{.name = "Limit", .limit = 2, .expected = {"a", "c"}, .has_more = true},
        DownloadCase{.name = "LimitExactlyTheRest", .limit = 4, .expected = {"a", "c", "d", "e"}},
        DownloadCase{
            .name = "LimitLargerThanTheRest", .limit = 50, .expected = {"a", "c", "d", "e"}},
        DownloadCase{.name = "SkipCountsSelectedItemsOnly",
                     .skip = 1,
                     .limit = 2,
                     .expected = {"c", "d"},
                     .has_more = true},
        DownloadCase{.name = "SkipWithDeleted",
                     .include_deleted = true,
                     .skip = 1,
                     .limit = 2,
                     .expected = {"b", "c"},
                     .has_more = true},
        DownloadCase{.name = "SkipPastTheEnd", .skip = 9, .expected = {}},
        DownloadCase{.name = "AfterIsExclusive", .after = "c", .expected = {"d", "e"}},
        DownloadCase{.name = "AfterAKeyNotStored", .after = "bb", .expected = {"c", "d", "e"}},
        DownloadCase{.name = "AfterThenSkip", .skip = 1, .after = "a", .expected = {"d", "e"}},
        DownloadCase{.name = "AfterTheLastKey", .after = "e", .expected = {}},
        DownloadCase{
            .name = "AfterAndLimit", .limit = 1, .after = "a", .expected = {"c"}, .has_more = true},
        DownloadCase{.name = "NoLimitIsCappedByThePageMaximum",
                     .max_page_size = 3,
                     .expected = {"a", "c", "d"},
                     .has_more = true},
        DownloadCase{.name = "LimitIsCappedByThePageMaximum",
                     .limit = 10,
                     .max_page_size = 2,
                     .expected = {"a", "c"},
                     .has_more = true},
        DownloadCase{.name = "LastPageHasNoMore", .limit = 1, .after = "d", .expected = {"e"}}),
    [](const auto& info) { return info.param.name; });

TEST(AnswerDownloadGateTest, WrongPwdHashIsRejected) {
  DownloadRequest request;
  request.pwd_hash = "wrong";
  const auto outcome =
      answer_download(UserStateBuilder("u1").pwd_hash("pwd").shared(), request, 10);
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(error_info(outcome.failure().error).code, 90006);
}

TEST(AnswerDownloadGateTest, TombstoneAfterThePageIsNotMoreWithoutIncludeDeleted) {
  DownloadRequest request;
  request.pwd_hash = "pwd";
  request.limit = 1;
  const auto outcome = answer_download(UserStateBuilder("u1")
                                           .pwd_hash("pwd")
                                           .items({make_item("a", 1), make_tombstone("b", 1)})
                                           .shared(),
                                       request, 10);
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(keys_of(outcome->server_data), Keys{"a"});
  EXPECT_FALSE(outcome->has_more);
}

}  // namespace
}  // namespace primesync::sync
