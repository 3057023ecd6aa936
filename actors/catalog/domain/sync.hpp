#pragma once

// Brings a source's part of the catalog in line with what extraction found:
// registers new objects (parents first), edits objects whose extracted
// attributes changed, removes objects that are gone (deepest first). Appends
// nothing when nothing changed. Curated fields (title, description, tags,
// ...) are never touched, except that a description that still equals the
// source's old comment follows the new comment.
//
// Only what extraction created is removed: it registers objects with the
// attribute "origin": "extraction", and leaves alone entities registered
// otherwise below the source (datasets OpenLineage named, with attribute
// "openlineage", or entities registered through the API) and the parents
// they still have.

#include "actors/catalog/domain/state_view.hpp"
#include "connectors/connector.hpp"
#include "messages/catalog_messages.hpp"
#include "messages/events.hpp"

#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace almanac::catalog {

using almanac::desired_entity;

/// Converts a snapshot of source `source` into desired entities: schemas,
/// tables and views (materialized views are views with materialized: true),
/// and their columns, with keys and foreign-key references as URNs.
std::vector<desired_entity> desired_from(const std::string& source,
                                         const connectors::catalog_snapshot& snap);

/// The "origin" attribute of the entities extraction registers.
constexpr const char* extraction_origin = "extraction";

/// Whether `entity` was created by extraction (and so may be removed by it).
bool extracted(const nlohmann::json& entity);

/// What a sync changes.
struct sync_result {
  std::vector<event_input> events;
  uint64_t added = 0;
  uint64_t changed = 0;
  uint64_t removed = 0;
};

/// Computes the events for `source_urn`. With a non-empty `scope` (URNs of
/// tables or views), only those objects and their columns are compared and
/// removed; otherwise everything below the source.
caf::expected<sync_result> sync_source(const std::string& source_urn,
                                       const std::vector<desired_entity>& desired,
                                       const std::vector<std::string>& scope,
                                       const std::string& user,
                                       const catalog::state_view& state);

} // namespace almanac::catalog
