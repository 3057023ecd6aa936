#pragma once

// The replication actor "replication" (messages/actors.hpp): owns the
// shipper on a primary with ha.listen, the follower on a standby, and
// nothing otherwise. Detached: stopping its threads waits for them.

#include "runtime/node_context.hpp"
#include "runtime/supervisor.hpp"

namespace almanac::replication {

/// The child spec of "replication" for the storage supervisor (after the
/// event log, whose log it ships or appends to).
runtime::child_spec replication_child(runtime::node_context& node);

} // namespace almanac::replication
