#pragma once

// Lineage of a view from its definition as extraction finds it (the SELECT
// text of pg_get_viewdef or SQLite's sql column), without a CREATE VIEW.

#include "actors/lineage/sql/sql_analysis.hpp"

namespace almanac::lineage {

/// Analyzes `definition` (a query) as the body of the view or materialized
/// view `view` (a qualified name): kind create_view, the view written, each
/// output column of the query an edge view.column <- its sources, and a
/// table edge from every table read. A definition that is itself a CREATE
/// [MATERIALIZED] VIEW statement is analyzed as it is.
analysis analyze_view(const std::string& view, const std::string& definition,
                      const schema_provider* schemas = nullptr,
                      const std::string& default_schema = "public");

} // namespace almanac::lineage
