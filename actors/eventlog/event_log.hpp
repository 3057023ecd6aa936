#pragma once

// The event log actor: the one writer of <data_dir>/log. Appends go through
// the log's group commit (its own writer thread) and are acknowledged once
// durable; subscriptions push committed records to subscribers as long as
// they have credit. Detached: reads are blocking file I/O.

#include "runtime/ha_state.hpp"
#include "runtime/node_context.hpp"
#include "runtime/supervisor.hpp"

namespace almanac::eventlog {

/// The child spec of the log actor named "eventlog"; with `ha`, the log is
/// shared with replication (event_log_behavior.hpp).
runtime::child_spec event_log_child(const config::settings& settings,
                                    std::shared_ptr<runtime::ha_state> ha = nullptr);

} // namespace almanac::eventlog
