// Flow 11: durability. An acknowledged upload survives kill -9 (§4: each
// operation commits atomically before it answers); SIGTERM exits 0 with data intact.
#include "client_flows.hpp"
#include "server_process.hpp"

namespace primesync::e2e {
namespace {

constexpr int kUploadsOnTheEmbeddedStore = 30;

class DurabilityTest : public ServerTest {
 protected:
  // Enables sync, then uploads uploads_ items one request each, all acknowledged.
  // Returns everything the server acknowledged, as stored.
  std::vector<Item> acknowledged_writes(const std::string& user) {
    ApiClient device(server().port(), mint_token(user), factory_.uuid());
    pwd_hash_ = factory_.uuid();
    std::vector<Item> acknowledged = factory_.items("Account", "base", 5);
    EXPECT_TRUE(is_ok(device.flush(acknowledged, pwd_hash_, factory_.lock(kBaseTimestamp))));
    for (const Item& item : factory_.items("Wallet", "acked", uploads_, kBaseTimestamp + 7)) {
      ApiResponse response = device.upload({item}, pwd_hash_);
      if (!is_ok(response)) throw std::runtime_error("upload failed: " + response.describe());
      acknowledged.push_back(item);
    }
    return as_stored_sorted(acknowledged);
  }

  void expect_intact(const std::string& user, const std::vector<Item>& acknowledged) {
    ApiClient reader(server().port(), mint_token(user));
    EXPECT_EQ(reader.download_all(pwd_hash_), acknowledged);
    EXPECT_EQ(reader.nonce(), 1 + uploads_);
    ApiResponse lock = reader.get_lock();
    ASSERT_TRUE(is_ok(lock));
    EXPECT_EQ(read_item(get_field(lock.data, "lock"), true).pwd_hash, pwd_hash_);
  }

  ItemFactory factory_{1101};
  const int uploads_ = iterations_for_store_under_test(kUploadsOnTheEmbeddedStore);
  std::string pwd_hash_;
};

TEST_F(DurabilityTest, AcknowledgedUploadsSurviveKill9) {
  const std::string user = "durability-kill9";
  const std::vector<Item> acknowledged = acknowledged_writes(user);
  server().kill9();  // right after the last acknowledgement, no chance to flush anything
  server().start();  // same data dir
  expect_intact(user, acknowledged);
}

TEST_F(DurabilityTest, SigtermExitsZeroAndKeepsData) {
  const std::string user = "durability-sigterm";
  const std::vector<Item> acknowledged = acknowledged_writes(user);
  const ExitStatus status = server().stop();
  EXPECT_TRUE(status.clean()) << status.describe();
  server().start();
  expect_intact(user, acknowledged);
  // And once more through restart() (stop + start), which also asserts a clean exit.
  server().restart();
  expect_intact(user, acknowledged);
}

TEST_F(DurabilityTest, SigtermWithAnIdleKeepAliveConnectionStillExitsZero) {
  ApiClient idle(server().port(), mint_token("durability-idle"));
  ASSERT_TRUE(is_ok(idle.user_info()));  // leaves an open keep-alive connection
  const ExitStatus status = server().stop();
  EXPECT_TRUE(status.clean()) << status.describe();
}

}  // namespace
}  // namespace primesync::e2e
