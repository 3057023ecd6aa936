#pragma once

// The two shapes of an event in the log: what a producer hands in and what a
// reader gets back.

#include <cstdint>
#include <optional>
#include <string>

namespace almanac::storage {

/// One event to append. The log assigns its offset, epoch and position.
struct record_input {
  /// Name of the event type (1 to 255 bytes), e.g. "dataset_created".
  std::string type;
  /// Entity key the event is about (may be empty).
  std::string key;
  /// Event body: bytes, JSON in practice.
  std::string payload;
  /// Milliseconds since the Unix epoch; the writer uses its clock if unset.
  std::optional<int64_t> timestamp_ms;
};

/// One acknowledged event as read back from the log.
struct record {
  /// Dense sequence number, from 0.
  uint64_t offset = 0;
  /// Epoch (leadership term) of the segment that holds the record.
  uint64_t epoch = 0;
  /// Milliseconds since the Unix epoch.
  int64_t timestamp_ms = 0;
  /// Name of the event type.
  std::string type;
  /// Entity key.
  std::string key;
  /// Event body (bytes).
  std::string payload;
  /// Byte position of the record's frame in the log, as if all segments
  /// were one file.
  uint64_t position = 0;
};

} // namespace almanac::storage
