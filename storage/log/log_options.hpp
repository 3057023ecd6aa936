#pragma once

// Settings of a segment log and the small result types of its API.

#include <caf/expected.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace almanac::storage {

/// When an append is acknowledged.
enum class fsync_policy {
  /// After the batch is written and fdatasync'd: an acknowledged record
  /// survives power loss. The default.
  always,
  /// After the batch is written (to the page cache); the writer runs
  /// fdatasync every `fsync_interval`. On power loss (not on a process
  /// crash) up to `fsync_interval` of acknowledged records can be lost.
  interval,
};

/// Parses "always" or "interval".
std::optional<fsync_policy> parse_fsync_policy(const std::string& x);

/// Returns "always" or "interval".
const char* to_string(fsync_policy x);

/// An I/O step at which tests can make the writer fail.
enum class fault_point {
  /// The write of a batch to the segment file.
  write,
  /// The fdatasync of the segment file.
  sync,
};

/// Settings of one log. The defaults suit a node's event log.
struct log_options {
  /// Directory holding the segments (a node uses <data_dir>/log).
  std::string dir;
  /// A segment is rolled once it would grow past this many bytes.
  uint64_t segment_bytes = 128ull << 20;
  /// Bytes of records between two index entries.
  uint64_t index_interval_bytes = 32u << 10;
  /// When appends are acknowledged.
  fsync_policy fsync = fsync_policy::always;
  /// fdatasync period under fsync_policy::interval.
  std::chrono::milliseconds fsync_interval{50};
  /// Upper bound on the bytes of one group-commit batch (a single request
  /// larger than this still goes in a batch of its own).
  uint64_t max_batch_bytes = 4u << 20;
  /// How long the writer may wait after the first queued request for more
  /// to arrive before writing. 0 (the default) writes at once; batches still
  /// form from whatever queues up during the previous write and fsync.
  std::chrono::microseconds max_batch_delay{0};
  /// Epoch of new records. Unset: 1 for a new log, else the last segment's.
  /// A larger value than the last segment's starts a new segment.
  std::optional<uint64_t> epoch;
  /// Create the directory and an empty log if there is none.
  bool create = true;
  /// Test hook: returning true makes that I/O step fail with EIO.
  std::function<bool(fault_point)> inject_fault;
};

/// What open() found and did.
struct open_report {
  /// Number of segments after recovery.
  uint64_t segments = 0;
  /// First offset in the log.
  uint64_t start_offset = 0;
  /// Next offset to assign.
  uint64_t end_offset = 0;
  /// Records in the log after recovery (end_offset - start_offset).
  uint64_t records_recovered = 0;
  /// Records read and checked while recovering the tail.
  uint64_t records_scanned = 0;
  /// Bytes read while recovering (tail scan and index rebuilds).
  uint64_t bytes_scanned = 0;
  /// Bytes cut from the end of the last segment (a torn tail).
  uint64_t bytes_truncated = 0;
  /// Log position where the torn tail started, if one was cut.
  std::optional<uint64_t> truncated_at;
  /// Index files rebuilt because they were missing or damaged.
  uint64_t indexes_rebuilt = 0;
  /// Wall time of open().
  std::chrono::microseconds duration{0};
};

/// Where an append request landed.
struct append_result {
  /// Offset of the request's first record.
  uint64_t first_offset = 0;
  /// Number of records (offsets first_offset .. first_offset + count - 1).
  uint64_t count = 0;
  /// Log position of the first record's frame.
  uint64_t first_position = 0;
  /// Log position just after the last record's frame.
  uint64_t end_position = 0;
};

/// Receives the outcome of an append, on the log's writer or acknowledgement
/// thread (in commit order).
using append_callback = std::function<void(caf::expected<append_result>)>;

/// Called on a log thread with the new end offset after records were
/// acknowledged.
using commit_listener = std::function<void(uint64_t end_offset)>;

/// Counters of the writer thread since open (for benchmarks and metrics).
struct writer_stats {
  /// Group-commit batches written (one write call each).
  uint64_t batches = 0;
  /// Append requests in those batches.
  uint64_t requests = 0;
  /// Records in those batches.
  uint64_t records = 0;
  /// Bytes of frames written.
  uint64_t bytes = 0;
  /// fdatasync calls on segment files.
  uint64_t syncs = 0;
  /// Time spent in write calls of batches.
  std::chrono::nanoseconds write_time{0};
  /// Time spent in fdatasync of segment files.
  std::chrono::nanoseconds sync_time{0};
  /// Time spent running append callbacks and the commit listener.
  std::chrono::nanoseconds ack_time{0};
};

/// Description of one segment (for `almanac log stat`).
struct segment_info {
  std::string file_name;
  uint64_t base_offset = 0;
  uint64_t epoch = 0;
  uint64_t base_position = 0;
  uint64_t bytes = 0;
  uint64_t records = 0;
};

} // namespace almanac::storage
