// RocksDB's info log on stderr instead of a LOG file in the data directory.
//
// Why: RocksDB's own file logger shares the data directory's filesystem. When that
// filesystem is full, one failed append leaves the log writer in an error state,
// and the next log line — RocksDB logs the very error it is handling — fails an
// assertion in WritableFileWriter (librocksdb 7.8 as Debian builds it keeps its
// assertions), which aborts the server. On stderr the store's messages join the
// server's own log and a full disk is answered 50300 instead.
#pragma once

#include <memory>

#include <rocksdb/env.h>

namespace primesync::rocksdb_logging {

// A logger that writes each message at `threshold` or above as one line
// "primesync rocksdb [LEVEL]: message" to stderr.
[[nodiscard]] std::shared_ptr<rocksdb::Logger> make_stderr_logger(rocksdb::InfoLogLevel threshold);

}  // namespace primesync::rocksdb_logging
