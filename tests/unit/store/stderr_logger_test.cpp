// RocksDB's info log on stderr (store/rocksdb/stderr_logger.hpp): a message at the
// threshold or above is one line naming its level; one below it is dropped.
#include "store/rocksdb/stderr_logger.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace primesync::rocksdb_logging {
namespace {

using rocksdb::InfoLogLevel;

TEST(StderrLogger, WritesMessagesAtOrAboveTheThresholdAsOneLineEach) {
  const auto logger = make_stderr_logger(InfoLogLevel::WARN_LEVEL);
  ::testing::internal::CaptureStderr();
  rocksdb::Log(InfoLogLevel::ERROR_LEVEL, logger, "no space: %s", "ENOSPC");
  rocksdb::Log(InfoLogLevel::WARN_LEVEL, logger, "stall at %d%%", 90);
  rocksdb::Log(InfoLogLevel::INFO_LEVEL, logger, "routine flush");
  const std::string written = ::testing::internal::GetCapturedStderr();

  EXPECT_NE(written.find("primesync rocksdb [error]: no space: ENOSPC\n"), std::string::npos)
      << written;
  EXPECT_NE(written.find("primesync rocksdb [warn]: stall at 90%\n"), std::string::npos) << written;
  EXPECT_EQ(written.find("routine flush"), std::string::npos) << written;
  EXPECT_EQ(std::count(written.begin(), written.end(), '\n'), 2) << written;
}

}  // namespace
}  // namespace primesync::rocksdb_logging
