#pragma once

// Compose: people's SQL on a source. POST /api/v1/compose/execute runs it
// through the source's connector (read-only transaction by default, row
// limit, timeout) on the HTTP worker thread (never on the actor scheduler);
// DELETE /api/v1/compose/{id} cancels a running execution. Every execution
// is recorded as a ComposeExecuted event (user, source, SQL, duration, rows,
// error), which feeds the query store and lineage.

#include "actors/catalog/catalog_projection.hpp"
#include "actors/http/router.hpp"
#include "actors/sources/secrets.hpp"
#include "runtime/node_context.hpp"

namespace almanac::compose {

/// Adds the compose routes.
void add_routes(http::router& r, runtime::node_context& node,
                std::shared_ptr<catalog::catalog_projection> catalog,
                std::shared_ptr<sources::secret_store> secrets);

/// Renders a result as CSV (RFC 4180 quoting).
std::string to_csv(const std::vector<std::string>& columns,
                   const nlohmann::json& rows);

} // namespace almanac::compose
