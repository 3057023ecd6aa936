#pragma once

// The event log actor: the one writer of <data_dir>/log. Appends go through
// the log's group commit (its own writer thread) and are acknowledged once
// durable; subscriptions push committed records to subscribers as long as
// they have credit. Detached: reads are blocking file I/O.

#include "runtime/node_context.hpp"
#include "runtime/supervisor.hpp"

namespace almanac::eventlog {

/// The child spec of the log actor named "eventlog".
runtime::child_spec event_log_child(const config::settings& settings);

} // namespace almanac::eventlog
