#pragma once

// RocksDB's own diagnostics, sent to the node's log instead of a LOG file
// in every store's directory.
//
// Why not RocksDB's file logger: on a full disk its writer fails once, and
// Debian's librocksdb keeps its assertions, so the next line it logs aborts
// the process (WritableFileWriter::AssertFalseAndGetStatusForPrevError).
// Opening a store on a full disk aborted the same way. A logger that writes
// no file cannot fail like that, and the node's log is where an operator
// looks anyway.

#include <memory>

namespace rocksdb {
class Logger;
} // namespace rocksdb

namespace almanac::storage {

/// A RocksDB logger that forwards warnings and errors to spdlog (tagged
/// "[rocksdb]") and drops RocksDB's informational lines.
std::shared_ptr<rocksdb::Logger> make_rocks_logger();

} // namespace almanac::storage
