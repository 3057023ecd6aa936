#pragma once

// A job's connection to its source: resolved from the catalog and the
// secrets file, and cancelled with the job (jobs use sources, never the
// other way round).

#include "actors/jobs/jobs.hpp"
#include "connectors/connector.hpp"

#include <caf/expected.hpp>

#include <memory>

namespace almanac::jobs {

/// Connects to the source of a running job; the job's cancel now also
/// cancels the query that connection is running. `cfg`, if given, receives
/// the resolved configuration (its kind, for dialects).
caf::expected<std::unique_ptr<connectors::connector>>
connect_for_job(job_env& env, connectors::source_config* cfg = nullptr);

} // namespace almanac::jobs
