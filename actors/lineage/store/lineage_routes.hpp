#pragma once

// /api/v1/queries (ingest, read the query store), /api/v1/lineage (traverse;
// POST OpenLineage run events) and the query-log job.

#include "actors/catalog/catalog_projection.hpp"
#include "actors/http/router.hpp"
#include "actors/jobs/jobs.hpp"
#include "actors/lineage/store/lineage_store.hpp"
#include "actors/lineage/domain/openlineage.hpp"
#include "runtime/node_context.hpp"

#include <memory>

namespace almanac::lineage {

/// The name of the lineage store's projection driver.
constexpr const char* projection_name = "lineage";

/// Adds the query-store and lineage routes.
void add_routes(http::router& r, runtime::node_context& node,
                std::shared_ptr<catalog::catalog_projection> catalog,
                std::shared_ptr<lineage_store> store);

/// The "query_log" job kind: reads the source's own query log
/// (pg_stat_statements) into QueryObserved events.
caf::expected<nlohmann::json> run_query_log(jobs::job_env& env);

} // namespace almanac::lineage
