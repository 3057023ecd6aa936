#pragma once

// GET /api/v1/search, GET /api/v1/search/suggest, GET /api/v1/lexicon and
// PUT /api/v1/lexicon/{abbreviation} (steward+).

#include "actors/http/router.hpp"
#include "actors/search/search_projection.hpp"
#include "runtime/node_context.hpp"

#include <memory>

namespace almanac::search {

/// The name of the search projection's driver.
constexpr const char* projection_name = "search";

/// Adds the search and lexicon routes.
void add_routes(http::router& r, runtime::node_context& node,
                std::shared_ptr<search_projection> search);

} // namespace almanac::search
