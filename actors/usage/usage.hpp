#pragma once

// The usage actor: entity reads and searches by users, batched into one
// EntityViewed and one SearchPerformed event per flush (never one fsync per
// page view). Feeds popularity and analytics.
//
// EntityViewed@1   {"views": [{"user", "urn", "count"}, ...]}
// SearchPerformed@1 {"searches": [{"user", "text", "results", "count"}, ...]}

#include "runtime/supervisor.hpp"

#include <chrono>
#include <memory>

namespace almanac::runtime {
class ha_state;
} // namespace almanac::runtime

namespace almanac::usage {

/// Most distinct (user, entity) pairs or searches held before a flush.
constexpr size_t max_batch = 1000;

/// The child spec of the usage actor named "usage", flushing every `period`.
/// A standby (or a fenced node) cannot append: its usage is not recorded —
/// the counts are dropped at each flush and counted in the actor's
/// server log once (docs/ha.md).
runtime::child_spec usage_child(std::chrono::milliseconds period,
                                std::shared_ptr<runtime::ha_state> ha);

} // namespace almanac::usage
