// Flow 6: download paging (§4.3): limit, skip, start, after, hasMore.
#include "client_flows.hpp"
#include "server_process.hpp"

namespace primesync::e2e {
namespace {

using Strings = std::vector<std::string>;

class DownloadPagingTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    if (IsSkipped()) return;
    device_ = std::make_unique<ApiClient>(server().port(), mint_token("paging-user"));
    pwd_hash_ = factory_.uuid();
    std::vector<Item> items = factory_.items("Account", "acc", 10);
    // A tombstone: never counted unless includeDeleted.
    tombstone_ = factory_.item("Account", "gone", kBaseTimestamp, /*deleted=*/true);
    std::vector<Item> stored = items;
    stored.push_back(tombstone_);
    ASSERT_TRUE(is_ok(device_->flush(stored, pwd_hash_, factory_.lock(kBaseTimestamp))));
    keys_ = keys_of(as_stored_sorted(items));
  }

  // One page's keys and hasMore.
  std::pair<Strings, bool> page(DownloadQuery query) {
    query.pwd_hash = pwd_hash_;
    ApiResponse response = device_->download(query);
    if (!is_ok(response)) throw std::runtime_error("download failed: " + response.describe());
    return {keys_of(get_items(response.data, "serverData")), get_bool(response.data, "hasMore")};
  }

  // keys_[from, to)
  Strings keys(std::size_t from, std::size_t to) const {
    return {keys_.begin() + static_cast<std::ptrdiff_t>(from),
            keys_.begin() + static_cast<std::ptrdiff_t>(to)};
  }

  ItemFactory factory_{601};
  std::unique_ptr<ApiClient> device_;
  std::string pwd_hash_;
  Item tombstone_;
  Strings keys_;  // the live items' keys, in key order
};

TEST_F(DownloadPagingTest, LimitAndSkipWalkThePages) {
  EXPECT_EQ(page({.limit = 3}), std::make_pair(keys(0, 3), true));
  EXPECT_EQ(page({.skip = 3, .limit = 3}), std::make_pair(keys(3, 6), true));
  EXPECT_EQ(page({.skip = 6, .limit = 3}), std::make_pair(keys(6, 9), true));
  EXPECT_EQ(page({.skip = 9, .limit = 3}), std::make_pair(keys(9, 10), false));
  EXPECT_EQ(page({.skip = 7, .limit = 3}), std::make_pair(keys(7, 10), false));  // exact end
  EXPECT_EQ(page({.skip = 12, .limit = 3}), std::make_pair(Strings{}, false));
}

TEST_F(DownloadPagingTest, LimitAbsentOrZeroMeansEverything) {
  EXPECT_EQ(page({}), std::make_pair(keys(0, 10), false));
  EXPECT_EQ(page({.limit = 0}), std::make_pair(keys(0, 10), false));
  EXPECT_EQ(page({.limit = 10}), std::make_pair(keys(0, 10), false));
  EXPECT_EQ(page({.skip = 4}), std::make_pair(keys(4, 10), false));
}

TEST_F(DownloadPagingTest, StartIsTheClientsNameForSkipAndSkipWins) {
  EXPECT_EQ(page({.start = 3, .limit = 3}), std::make_pair(keys(3, 6), true));
  EXPECT_EQ(page({.skip = 6, .start = 0, .limit = 3}), std::make_pair(keys(6, 9), true));
  EXPECT_EQ(page({.skip = 0, .start = 6, .limit = 3}), std::make_pair(keys(0, 3), true));
}

TEST_F(DownloadPagingTest, AfterIsAnExclusiveKeyCursor) {
  EXPECT_EQ(page({.limit = 3, .after = keys_[4]}), std::make_pair(keys(5, 8), true));
  EXPECT_EQ(page({.skip = 1, .limit = 10, .after = keys_[4]}), std::make_pair(keys(6, 10), false));
  EXPECT_EQ(page({.after = keys_[9]}), std::make_pair(Strings{}, false));
  // A cursor key that is not stored still orders: everything after it.
  EXPECT_EQ(page({.after = std::string("0")}), std::make_pair(keys(0, 10), false));
  EXPECT_EQ(page({.after = std::string("g")}), std::make_pair(Strings{}, false));

  // Walking with the cursor visits every item once.
  Strings walked;
  std::optional<std::string> after;
  for (bool more = true; more;) {
    auto [page_keys, has_more] = page({.limit = 4, .after = after});
    ASSERT_FALSE(page_keys.empty());
    walked.insert(walked.end(), page_keys.begin(), page_keys.end());
    after = page_keys.back();
    more = has_more;
  }
  EXPECT_EQ(walked, keys_);
}

TEST_F(DownloadPagingTest, TombstonesArePagedOnlyWithIncludeDeleted) {
  Strings all = keys_;
  all.push_back(tombstone_.key);
  std::sort(all.begin(), all.end());
  EXPECT_EQ(page({.include_deleted = true, .limit = 11}), std::make_pair(all, false));
  EXPECT_EQ(page({.include_deleted = true, .limit = 10}),
            std::make_pair(Strings(all.begin(), all.begin() + 10), true));
  EXPECT_EQ(page({.include_deleted = false, .limit = 10}), std::make_pair(keys_, false));
}

}  // namespace
}  // namespace primesync::e2e
