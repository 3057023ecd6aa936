#pragma once

// The scheduler actor and the schedule API.
//
// ScheduleDefined@1 {"user", "id", "cron", "kind": "extract"|"profile"|"compose",
//                    "source", "options": {...}}  (compose: {"sql", "limit"})
// ScheduleRemoved@1 {"user", "id"}
//
// A scheduled Compose query runs as a "compose" job; its result (columns and
// rows) is kept with the job and in its JobFinished event.

#include "actors/catalog/catalog_projection.hpp"
#include "actors/http/router.hpp"
#include "actors/jobs/jobs.hpp"
#include "runtime/node_context.hpp"
#include "runtime/supervisor.hpp"

namespace almanac::scheduler {

/// The child spec of the scheduler named "scheduler"; it fires jobs only
/// while the node is not a standby (`ha`: after a promotion, at once).
runtime::child_spec scheduler_child(std::shared_ptr<const runtime::ha_state> ha);

/// The "compose" job kind: runs options.sql on the source, keeps the rows.
caf::expected<nlohmann::json> run_compose_job(jobs::job_env& env);

/// Adds GET/POST /api/v1/schedules, DELETE /api/v1/schedules/{id} and
/// POST /api/v1/schedules/{id}/run.
void add_routes(http::router& r, runtime::node_context& node,
                std::shared_ptr<catalog::catalog_projection> catalog);

} // namespace almanac::scheduler
