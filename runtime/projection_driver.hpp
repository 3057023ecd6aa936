#pragma once

// The projection driver actor: subscribes to the event log from the
// projection's checkpoint with credit, applies batches, tracks its lag in the
// actor registry, answers read-your-writes waits and rebuilds from offset 0.

#include "runtime/projection.hpp"
#include "runtime/supervisor.hpp"

#include <string>

namespace almanac::runtime {

/// Records of credit a driver grants the log ahead of what it has applied.
constexpr uint64_t projection_credit = 4096;

/// The child spec of a driver named `name`, reading from the registry's
/// current "eventlog" actor.
child_spec projection_child(std::string name, projection_factory factory);

} // namespace almanac::runtime
