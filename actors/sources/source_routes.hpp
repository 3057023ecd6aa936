#pragma once

// /api/v1/sources (register, list, change, remove; extract and profile
// jobs), /api/v1/jobs and /api/v1/compose/execute.

#include "actors/catalog/catalog_projection.hpp"
#include "actors/http/router.hpp"
#include "actors/sources/secrets.hpp"
#include "runtime/node_context.hpp"

#include <memory>

namespace almanac::sources {

/// Adds the sources, jobs and compose routes.
void add_routes(http::router& r, runtime::node_context& node,
                std::shared_ptr<catalog::catalog_projection> catalog,
                std::shared_ptr<secret_store> secrets);

} // namespace almanac::sources
