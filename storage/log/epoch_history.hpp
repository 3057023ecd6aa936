#pragma once

// The epoch history of a log: for each epoch (a primary's term), the offset
// of its first record. Like Kafka's leader-epoch checkpoint (KIP-101) and
// PostgreSQL's timeline history files, it is what two nodes compare to find
// where their logs diverge, so that a standby truncates exactly the records
// the primary does not have, never by a guessed watermark.
//
// On disk: <log dir>/epochs, replaced atomically on every new epoch.
//
//   almanac-epochs 1
//   <epoch> <start_offset>      one line per epoch, both strictly
//   ...                         increasing in epoch, non-decreasing in offset
//   crc <crc32c of the lines above, 8 hex digits>
//
// An epoch that started where the next one starts holds no records.

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace almanac::storage {

/// One epoch and the offset of its first record.
struct epoch_entry {
  uint64_t epoch = 0;
  uint64_t start_offset = 0;

  friend bool operator==(const epoch_entry& x, const epoch_entry& y) {
    return x.epoch == y.epoch && x.start_offset == y.start_offset;
  }

  friend bool operator!=(const epoch_entry& x, const epoch_entry& y) {
    return !(x == y);
  }
};

/// The format version written in the first line of the file.
constexpr int epoch_history_version = 1;

/// The file name of the history inside a log directory.
constexpr const char* epoch_history_file = "epochs";

/// An ordered list of epochs.
class epoch_history {
public:
  epoch_history() = default;

  explicit epoch_history(std::vector<epoch_entry> entries)
    : entries_(std::move(entries)) {
  }

  const std::vector<epoch_entry>& entries() const {
    return entries_;
  }

  bool empty() const {
    return entries_.empty();
  }

  /// The latest epoch (0 if empty).
  uint64_t latest() const {
    return entries_.empty() ? 0 : entries_.back().epoch;
  }

  /// Adds `epoch` starting at `start_offset`. An epoch equal to the latest
  /// is a no-op; one below it, or an offset below the latest's start, is
  /// ec::invalid_argument.
  caf::error add(uint64_t epoch, uint64_t start_offset);

  /// Drops every epoch that starts at or after `offset`: a log truncated
  /// to `offset` keeps the epochs of the records it still has.
  void truncate(uint64_t offset);

  /// The epoch of the record at `offset` (nullopt before the first epoch).
  std::optional<uint64_t> epoch_at(uint64_t offset) const;

  /// The end offset of `epoch` in a log ending at `log_end`: the start of
  /// the next epoch, or `log_end` for the latest. Nullopt if not present.
  std::optional<uint64_t> end_of(uint64_t epoch, uint64_t log_end) const;

  /// Checks the ordering rules; ec::corrupt_data naming the bad line.
  caf::error validate() const;

  /// The file's text.
  std::string serialize() const;

  /// Parses the file's text; ec::corrupt_data naming what is wrong.
  static caf::expected<epoch_history> parse(const std::string& text);

  /// Reads <dir>/epochs; an empty history if there is no such file.
  static caf::expected<epoch_history> load(const std::string& dir);

  /// Writes <dir>/epochs atomically (temporary file, fsync, rename, fsync of
  /// the directory).
  caf::error save(const std::string& dir) const;

  friend bool operator==(const epoch_history& x, const epoch_history& y) {
    return x.entries_ == y.entries_;
  }

private:
  std::vector<epoch_entry> entries_;
};

/// The offset up to which a follower's log equals the leader's: records
/// below it are the same on both, so the follower keeps them and truncates
/// the rest. Both logs agree on a record if it lies in the same epoch entry
/// (same epoch, same start offset) on both, below both logs' end of that
/// entry. The result is at most `follower_end`. A follower with no common
/// entry (a different log) gets 0.
uint64_t divergence_point(const epoch_history& leader, uint64_t leader_end,
                          const epoch_history& follower,
                          uint64_t follower_end);

} // namespace almanac::storage
