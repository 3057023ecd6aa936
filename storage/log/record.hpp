#pragma once

// The two shapes of an event in the log: what a producer hands in and what a
// reader gets back.

#include "messages/events.hpp"

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

/// One acknowledged event as read back from the log: the record actors
/// pass on (messages/events.hpp; offset, epoch, timestamp_ms, type, key,
/// payload and position, the byte position of the record's frame as if all
/// segments were one file). One type, never converted field by field.
using record = almanac::event_record;

} // namespace almanac::storage
