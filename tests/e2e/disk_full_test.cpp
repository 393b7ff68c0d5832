// A full or read-only disk under the embedded store (issue 10). The data dir is a
// small tmpfs of its own (root only; the tests skip loudly otherwise):
//
//  - disk full: writes are answered 50300 with Retry-After and a message naming
//    the cause, reads of the data already stored keep working, and once space
//    returns writes succeed again without a restart; after a restart everything
//    acknowledged is there.
//  - read-only: Linux refuses to remount a filesystem read-only while a file on
//    it is open for writing (RocksDB keeps its WAL, MANIFEST and LOG open), so a
//    data dir cannot turn read-only under a running server; a server started on a
//    read-only data dir exits 1 naming the path and the cause, and starts once the
//    dir is writable again.
#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "client_flows.hpp"
#include "server_metrics.hpp"
#include "server_process.hpp"

namespace primesync::e2e {
namespace {

using namespace std::chrono_literals;

// Little enough to fill at once, big enough for RocksDB to resume: it clears a
// full-disk error only once the free space exceeds one memtable (64 MiB by
// default), the room a flush may need.
constexpr std::string_view kDataDirSize = "size=128m";
constexpr std::size_t kFillChunkBytes = 64 * 1024;
// The memtable budget, which also caps the space RocksDB preallocates for a WAL
// file (blocks the filler cannot take): small, so that the disk is full for the
// store after a few megabytes.
constexpr std::size_t kWriteBufferBytes = 4U << 20U;
// Uploads of kItemsPerUpload items of kBigItemHexChars each (under
// limits.maxItemBytes): 64 of them carry eight times the preallocated WAL.
constexpr int kMaxWritesUntilFull = 64;
constexpr int kItemsPerUpload = 5;
constexpr std::size_t kBigItemHexChars = 100000;
// RocksDB retries its recovery every few seconds once space returns.
constexpr auto kRecoveryDeadline = 60s;
constexpr std::string_view kFillerName = "filler.bin";

// A tmpfs mounted on an existing directory for the lifetime of the object.
class TmpfsMount {
 public:
  // Mounts; `error` says why not (e.g. no CAP_SYS_ADMIN) and the object is inert.
  TmpfsMount(std::filesystem::path where, std::string& error) : where_(std::move(where)) {
    if (::mount("tmpfs", where_.c_str(), "tmpfs", 0, std::string(kDataDirSize).c_str()) != 0) {
      error = std::string("mount -t tmpfs on ") + where_.string() + ": " + std::strerror(errno);
      return;
    }
    mounted_ = true;
  }
  ~TmpfsMount() {
    // Detached if something (a killed server's last file) still holds it.
    if (mounted_) ::umount2(where_.c_str(), MNT_DETACH);
  }
  TmpfsMount(const TmpfsMount&) = delete;
  TmpfsMount& operator=(const TmpfsMount&) = delete;

  // Remounts read-only or read-write; the errno on failure (EBUSY: a file is open for writing).
  int remount(bool read_only) {
    const unsigned long flags = MS_REMOUNT | (read_only ? MS_RDONLY : 0UL);
    if (::mount("tmpfs", where_.c_str(), "tmpfs", flags, std::string(kDataDirSize).c_str()) != 0) {
      return errno;
    }
    return 0;
  }

 private:
  std::filesystem::path where_;
  bool mounted_ = false;
};

// Writes a file until the filesystem has no block left (ENOSPC).
void fill_until_full(const std::filesystem::path& file) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0) << "open " << file << ": " << std::strerror(errno);
  const std::vector<char> chunk(kFillChunkBytes, 'x');
  int last_errno = 0;
  for (;;) {
    const ssize_t written = ::write(fd, chunk.data(), chunk.size());
    if (written > 0) continue;
    last_errno = errno;
    break;
  }
  ::close(fd);
  ASSERT_EQ(last_errno, ENOSPC) << "filling " << file << ": " << std::strerror(last_errno);
}

class DiskFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    PRIMESYNC_E2E_REQUIRE_BINARY();
    if (store_under_test() != StoreKind::rocksdb) {
      GTEST_SKIP() << "*** the embedded store's disk: not run on the mongodb store ***";
    }
    if (::geteuid() != 0) {
      GTEST_SKIP() << "*** not root: cannot mount a small tmpfs as the data dir; disk-full and "
                      "read-only tests NOT RUN ***";
    }
    ServerOptions options;
    options.store = StoreKind::rocksdb;
    // Reads must come from the store, not from the user-state cache.
    options.config_toml =
        "[sync]\nenableCache = false\n[sync.adapters.rocksdb]\nwriteBufferBytes = " +
        std::to_string(kWriteBufferBytes) + "\n";
    server_ = std::make_unique<ServerProcess>(options);
    std::string error;
    mount_ = std::make_unique<TmpfsMount>(server_->data_dir(), error);
    if (!error.empty()) {
      mount_.reset();
      GTEST_SKIP() << "*** " << error << ": disk-full and read-only tests NOT RUN ***";
    }
    server_->start();
  }

  void TearDown() override {
    if (HasFailure() && server_) {
      std::cerr << "---- server log tail (" << server_->log_path() << ") ----\n"
                << server_->log_tail() << "\n----\n";
    }
    // The server lets go of its files before the filesystem goes away.
    if (server_ && server_->running()) (void)server_->stop();
    mount_.reset();
    server_.reset();
  }

  ApiClient device(const std::string& user) {
    return ApiClient(server_->port(), mint_token(user), device_id_);
  }

  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<TmpfsMount> mount_;
  ItemFactory factory_{1301};
  const std::string device_id_ = factory_.uuid();
  const std::string pwd_hash_ = factory_.uuid();
};

TEST_F(DiskFaultTest, DiskFullRefusesWritesKeepsReadsAndRecoversWithoutARestart) {
  const std::string user = "disk-full";
  ApiClient writer = device(user);
  std::vector<Item> acknowledged = factory_.items("Account", "before", 5);
  ASSERT_TRUE(is_ok(writer.flush(acknowledged, pwd_hash_, factory_.lock(kBaseTimestamp))));

  const std::filesystem::path filler = server_->data_dir() / kFillerName;
  ASSERT_NO_FATAL_FAILURE(fill_until_full(filler));

  // Uploads until the store runs out of space; the ones acknowledged before must stay.
  ApiResponse refused;
  for (int i = 0; i < kMaxWritesUntilFull; ++i) {
    std::vector<Item> items;
    for (int j = 0; j < kItemsPerUpload; ++j) {
      Item item = factory_.item("Wallet", "full-" + std::to_string(i) + "-" + std::to_string(j),
                                kBaseTimestamp + 1 + i);
      item.data = factory_.random_data();
      item.data.resize(kBigItemHexChars, 'a');
      items.push_back(std::move(item));
    }
    ApiResponse response = writer.upload(items, pwd_hash_);
    if (!is_ok(response)) {
      refused = std::move(response);
      break;
    }
    acknowledged.insert(acknowledged.end(), items.begin(), items.end());
  }
  ASSERT_EQ(refused.http.status, 503)
      << "no write was refused on a full disk: " << refused.describe();
  EXPECT_EQ(refused.code, 50300);
  EXPECT_TRUE(refused.http.header("retry-after").has_value());
  EXPECT_NE(refused.message.find("No space left on device"), std::string::npos) << refused.message;

  // Reads of what is stored keep working, and still see every acknowledged write.
  const std::vector<Item> expected = as_stored_sorted(acknowledged);
  ApiClient reader = device(user);
  EXPECT_EQ(reader.download_all(pwd_hash_), expected);
  EXPECT_TRUE(is_ok(reader.check(acknowledged, pwd_hash_)));
  EXPECT_TRUE(is_ok(reader.user_info()));
  // Another write is refused the same way (the store stays in its error state).
  EXPECT_TRUE(has_code(
      writer.upload({factory_.item("Wallet", "still-full", kBaseTimestamp + 100)}, pwd_hash_), 503,
      50300));

  // Space returns: writes succeed again, without a restart.
  std::filesystem::remove(filler);
  int attempt = 0;
  const bool recovered = eventually(kRecoveryDeadline, [&] {
    const Item item =
        factory_.item("Wallet", "recovered-" + std::to_string(attempt), kBaseTimestamp + 200);
    ++attempt;
    if (!is_ok(writer.upload({item}, pwd_hash_))) return false;
    acknowledged.push_back(item);
    return true;
  });
  ASSERT_TRUE(recovered) << "writes still refused " << kRecoveryDeadline.count()
                         << " s after space returned";
  const Item after = factory_.item("Wallet", "after-recovery", kBaseTimestamp + 300);
  ASSERT_TRUE(is_ok(writer.upload({after}, pwd_hash_)));
  acknowledged.push_back(after);
  EXPECT_EQ(reader.download_all(pwd_hash_), as_stored_sorted(acknowledged));

  // Nothing corrupt on disk: a restart finds every acknowledged write.
  const ExitStatus status = server_->stop();
  EXPECT_TRUE(status.clean()) << status.describe();
  server_->start();
  EXPECT_EQ(device(user).download_all(pwd_hash_), as_stored_sorted(acknowledged));
}

TEST_F(DiskFaultTest, ReadOnlyDataDirIsRefusedAtStartNamingTheCause) {
  const std::string user = "read-only";
  std::vector<Item> stored = factory_.items("Account", "stored", 3);
  ASSERT_TRUE(is_ok(device(user).flush(stored, pwd_hash_, factory_.lock(kBaseTimestamp))));

  // While the server runs, its open files keep the filesystem from turning read-only.
  EXPECT_EQ(mount_->remount(/*read_only=*/true), EBUSY);
  EXPECT_TRUE(is_ok(device(user).check(stored, pwd_hash_)));

  const ExitStatus stopped = server_->stop();
  ASSERT_TRUE(stopped.clean()) << stopped.describe();
  ASSERT_EQ(mount_->remount(/*read_only=*/true), 0);
  EXPECT_THROW(server_->start(), std::exception);
  const std::string log = server_->log_tail();
  EXPECT_NE(log.find("Read-only file system"), std::string::npos) << log;
  EXPECT_NE(log.find(server_->data_dir().string()), std::string::npos) << log;

  ASSERT_EQ(mount_->remount(/*read_only=*/false), 0);
  server_->start();
  EXPECT_EQ(device(user).download_all(pwd_hash_), as_stored_sorted(stored));
}

}  // namespace
}  // namespace primesync::e2e
