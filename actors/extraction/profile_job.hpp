#pragma once

// The profiling job: profiles the tables (and materialized views) of a
// source — all, or {"tables": ["schema.table"]} — from a sample (default
// 10,000 rows) or in full ({"full": true}), and records each column's profile
// as an attribute edit of the column entity (an EntityEdited event), where it
// shows as "profile" (row_count, null_count, distinct_count, min, max,
// top_values, histogram, ...).

#include "actors/jobs/jobs.hpp"

namespace almanac::extraction {

/// Runs one profiling job; the result is {"tables", "columns", "skipped"
/// (tables the source refused to read, with the error), "offset"}.
caf::expected<nlohmann::json> run_profile(jobs::job_env& env);

} // namespace almanac::extraction
