// The service's admin operations on the fakes: they run in the user's shard,
// export what is stored, and delete everything of a user in one commit, dropping
// it from the cache.
#include <gtest/gtest.h>

#include "support/service_on_fakes.hpp"

namespace primesync::testing {
namespace {

class AdminServiceTest : public ::testing::Test, protected ServiceOnFakes {
 protected:
  Outcome<UserStatePtr> export_user(const std::string& user_id) {
    return await_outcome<UserStatePtr>([&](auto done) { service().export_user(user_id, done); });
  }
  Outcome<DeleteUserResponse> delete_user(const std::string& user_id) {
    return await_outcome<DeleteUserResponse>(
        [&](auto done) { service().delete_user(user_id, done); });
  }

  const Caller alice_{"alice", true, "device-A"};
};

TEST_F(AdminServiceTest, ExportsWhatIsStored) {
  ASSERT_TRUE(flush(alice_, {make_item("k1", 10)}));
  const auto exported = export_user("alice");
  ASSERT_TRUE(exported) << exported.failure().message;
  const UserState& state = *exported.value();
  EXPECT_TRUE(state.exists);
  EXPECT_EQ(state.items.size(), 1U);
  EXPECT_TRUE(state.lock.has_value());
  ASSERT_EQ(state.devices.size(), 1U);
  EXPECT_EQ(state.devices[0].instance_id, "device-A");
}

TEST_F(AdminServiceTest, ExportOfAnUnknownUserIsNotFoundAndStoresNothing) {
  const auto exported = export_user("nobody");
  ASSERT_FALSE(exported);
  EXPECT_EQ(exported.failure().error, Error::not_found);
  EXPECT_FALSE(store_.user("nobody").exists) << "an admin read records no caller";
}

TEST_F(AdminServiceTest, DeleteRemovesEverythingAndDropsTheCachedState) {
  ASSERT_TRUE(flush(alice_, {make_item("k1", 10), make_item("k2", 10)}));
  ASSERT_TRUE(upload(alice_, {make_item("k1", 20)}, 0, "pwd"));  // history for k1
  ASSERT_TRUE(export_user("alice")) << "cached now";
  ASSERT_FALSE(store_.history("alice").empty());

  const auto deleted = delete_user("alice");
  ASSERT_TRUE(deleted) << deleted.failure().message;
  EXPECT_TRUE(deleted->existed);
  EXPECT_EQ(deleted->items, 2U);
  EXPECT_EQ(deleted->devices, 1U);
  EXPECT_FALSE(store_.user("alice").exists);
  EXPECT_TRUE(store_.history("alice").empty());
  // Answered from the store, not from a cached copy of before.
  EXPECT_EQ(export_user("alice").failure().error, Error::not_found);

  // The user starts again from scratch on its next request.
  const auto info = user_info(alice_);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->nonce, 0);
  EXPECT_EQ(info->pwd_hash, "");
}

TEST_F(AdminServiceTest, DeletingAUserNotStoredChangesNothing) {
  const std::size_t commits = store_.commit_count();
  const auto deleted = delete_user("nobody");
  ASSERT_TRUE(deleted);
  EXPECT_FALSE(deleted->existed);
  EXPECT_EQ(store_.commit_count(), commits);
}

// The delete is queued behind an upload in flight in the same shard: it commits
// after it and removes its items too, never half of them.
TEST_F(AdminServiceTest, DeleteWaitsForAnUploadInFlight) {
  config_.queue.shards = 1;
  ASSERT_TRUE(flush(alice_, {make_item("k1", 10)}));
  store_.hold_commits();
  auto upload_done = std::make_shared<std::promise<Outcome<WriteResponse>>>();
  service().upload(alice_, UploadRequest{{make_item("k2", 20)}, "pwd", 0},
                   [upload_done](Outcome<WriteResponse> outcome) {
                     upload_done->set_value(std::move(outcome));
                   });
  ASSERT_TRUE(store_.wait_for_held_commit(completion_deadline));
  auto delete_done = std::make_shared<std::promise<Outcome<DeleteUserResponse>>>();
  service().delete_user("alice", [delete_done](Outcome<DeleteUserResponse> outcome) {
    delete_done->set_value(std::move(outcome));
  });
  store_.release_commits();
  auto uploaded = upload_done->get_future();
  auto deleted = delete_done->get_future();
  ASSERT_EQ(uploaded.wait_for(completion_deadline), std::future_status::ready);
  ASSERT_EQ(deleted.wait_for(completion_deadline), std::future_status::ready);
  EXPECT_TRUE(uploaded.get());
  const auto result = deleted.get();
  ASSERT_TRUE(result);
  EXPECT_EQ(result->items, 2U) << "planned on the state the upload committed";
  EXPECT_FALSE(store_.user("alice").exists);
}

}  // namespace
}  // namespace primesync::testing
