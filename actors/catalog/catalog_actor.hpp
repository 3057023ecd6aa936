#pragma once

// The catalog actor (command side of the catalog). Detached: validation reads
// the RocksDB store of the catalog projection.

#include "actors/catalog/catalog_projection.hpp"
#include "runtime/supervisor.hpp"

#include <memory>

namespace almanac::catalog {

/// The child spec of the catalog actor named "catalog", validating against
/// `state` and appending to the registry's current "eventlog".
runtime::child_spec catalog_child(std::shared_ptr<catalog::catalog_projection> state);

} // namespace almanac::catalog
