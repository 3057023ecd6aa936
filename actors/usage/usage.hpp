#pragma once

// The usage actor: entity reads and searches by users, batched into one
// EntityViewed and one SearchPerformed event per flush (never one fsync per
// page view). Feeds popularity and analytics.
//
// EntityViewed@1   {"views": [{"user", "urn", "count"}, ...]}
// SearchPerformed@1 {"searches": [{"user", "text", "results", "count"}, ...]}

#include "runtime/supervisor.hpp"

#include <chrono>

namespace almanac::usage {

/// Most distinct (user, entity) pairs or searches held before a flush.
constexpr size_t max_batch = 1000;

/// The child spec of the usage actor named "usage", flushing every `period`.
runtime::child_spec usage_child(std::chrono::milliseconds period);

} // namespace almanac::usage
