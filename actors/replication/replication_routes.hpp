#pragma once

// GET /monitor/replication (any valid token): the replication status of
// this node, in the shape docs/ha.md describes; the same JSON the
// replication actor answers and `almanac ha status` prints.

#include "actors/http/router.hpp"
#include "runtime/node_context.hpp"

#include <nlohmann/json.hpp>

namespace almanac::replication {

/// The status: on a primary one key per standby (its ha.name) and
/// "replication_mode":"primary"; on a standby "replication_mode":"standby"
/// with its lag behind the primary and each projection's lag.
nlohmann::json replication_status(const runtime::node_context& node);

void add_routes(http::router& r, runtime::node_context& node);

} // namespace almanac::replication
