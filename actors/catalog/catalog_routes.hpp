#pragma once

// The catalog's HTTP API: entities (register, read with time travel and
// read-your-writes, curate with If-Match, remove, history), users and tokens.

#include "actors/catalog/catalog_projection.hpp"
#include "actors/http/router.hpp"
#include "runtime/node_context.hpp"

#include <functional>
#include <memory>

namespace almanac::catalog {

/// The name of the catalog state projection's driver.
constexpr const char* projection_name = "catalog_state";

/// Adds the /api/v1/entities, /api/v1/users and /api/v1/tokens routes.
/// `popularity`, if set, gives an entity's popularity (null if none) for
/// its "popularity" field.
void add_routes(http::router& r, runtime::node_context& node,
                std::shared_ptr<catalog::catalog_projection> state,
                std::function<nlohmann::json(const std::string&)> popularity = {});

} // namespace almanac::catalog
