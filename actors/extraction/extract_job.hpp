#pragma once

// The metadata extraction job: reads the whole source (or the given tables)
// through its connector, then hands the catalog actor the desired state in
// one sync command. Nothing is appended until the source has been read
// completely, so a source failing mid-run leaves the catalog as it was; the
// sync appends only the differences (nothing when nothing changed).
//
// Options: {"tables": ["schema.table", ...]} limits the run to those tables.

#include "actors/jobs/jobs.hpp"

namespace almanac::extraction {

/// Runs one extraction; the result is {"objects","added","changed","removed","offset"}.
caf::expected<nlohmann::json> run_extract(jobs::job_env& env);

} // namespace almanac::extraction
