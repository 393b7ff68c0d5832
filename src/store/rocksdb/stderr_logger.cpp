#include "store/rocksdb/stderr_logger.hpp"

#include <array>
#include <cstdarg>
#include <cstdio>
#include <string_view>

namespace primesync::rocksdb_logging {
namespace {

// RocksDB's messages are one line each; a longer one is cut, not lost entirely.
constexpr std::size_t kMaxMessageBytes = 4096;

std::string_view level_name(rocksdb::InfoLogLevel level) {
  switch (level) {
    case rocksdb::InfoLogLevel::DEBUG_LEVEL:
      return "debug";
    case rocksdb::InfoLogLevel::INFO_LEVEL:
      return "info";
    case rocksdb::InfoLogLevel::WARN_LEVEL:
      return "warn";
    case rocksdb::InfoLogLevel::ERROR_LEVEL:
      return "error";
    case rocksdb::InfoLogLevel::FATAL_LEVEL:
      return "fatal";
    case rocksdb::InfoLogLevel::HEADER_LEVEL:
    case rocksdb::InfoLogLevel::NUM_INFO_LOG_LEVELS:
      break;
  }
  return "header";
}

class StderrLogger final : public rocksdb::Logger {
 public:
  explicit StderrLogger(rocksdb::InfoLogLevel threshold) : rocksdb::Logger(threshold) {}

  using rocksdb::Logger::Logv;
  void Logv(rocksdb::InfoLogLevel level, const char* format, va_list arguments) override {
    if (level < GetInfoLogLevel()) return;
    std::array<char, kMaxMessageBytes> message{};
    std::vsnprintf(message.data(), message.size(), format, arguments);
    // One fprintf per line: stdio locks the stream, so lines of threads never mix.
    std::fprintf(stderr, "primesync rocksdb [%.*s]: %s\n",
                 static_cast<int>(level_name(level).size()), level_name(level).data(),
                 message.data());
  }

  // Messages without a level (RocksDB's option dumps at open) count as info.
  void Logv(const char* format, va_list arguments) override {
    Logv(rocksdb::InfoLogLevel::INFO_LEVEL, format, arguments);
  }
};

}  // namespace

std::shared_ptr<rocksdb::Logger> make_stderr_logger(rocksdb::InfoLogLevel threshold) {
  return std::make_shared<StderrLogger>(threshold);
}

}  // namespace primesync::rocksdb_logging
