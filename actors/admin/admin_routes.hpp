#pragma once

// /health and the actor admin API (/api/v1/admin/actors...).

#include "actors/http/router.hpp"
#include "runtime/node_context.hpp"

namespace almanac::admin {

/// Adds GET /health (public), GET /api/v1/admin/actors, and POST
/// /api/v1/admin/actors/{name}/restart|crash (admin) to `r`.
void add_routes(http::router& r, runtime::node_context& node);

/// Renders the registry as the JSON of GET /api/v1/admin/actors.
nlohmann::json actors_json(const runtime::actor_registry& registry);

/// The node's resident memory and its state stores' shared caches.
nlohmann::json memory_json();

/// The JSON of GET /health.
nlohmann::json health_json(const runtime::node_context& node);

} // namespace almanac::admin
