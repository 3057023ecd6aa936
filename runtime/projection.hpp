#pragma once

// A projection: a store derived from the event log. The driver
// (projection_driver.hpp) feeds it from its checkpoint; the projection writes
// its changes and its new checkpoint atomically, so after any crash it
// resumes exactly where its last applied batch ended.

#include "messages/events.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace almanac::runtime {

/// The contract between a projection and its driver. Called from the
/// driver's (detached) thread only.
class projection {
public:
  virtual ~projection() = default;

  /// Names of the event types it consumes (without version); others are
  /// skipped, as are types this build does not know.
  virtual std::vector<std::string> consumes() const = 0;

  /// Opens the store; returns the checkpoint (next offset to apply).
  virtual caf::expected<uint64_t> open() = 0;

  /// Applies `events` (consumed, known types, in offset order; possibly
  /// empty) and sets the checkpoint to `next`, in one atomic write.
  virtual caf::error apply(const std::vector<event_record>& events,
                           uint64_t next) = 0;

  /// Discards all state; the checkpoint becomes 0.
  virtual caf::error reset() = 0;

  /// A JSON summary of the projection's state (for the admin API).
  virtual std::string status() const = 0;

  /// A SHA-256 (hex) over the projection's state but its checkpoint: what
  /// the log determines, and nothing else. Two stores at one checkpoint,
  /// rebuilt or not, on this node or a standby, have the same digest.
  virtual caf::expected<std::string> digest() const = 0;
};

/// Creates a projection (called on every (re)start of its driver).
using projection_factory = std::function<std::unique_ptr<projection>()>;

} // namespace almanac::runtime
