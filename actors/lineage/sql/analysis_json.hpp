#pragma once

// JSON form of an analysis, for the query store, the API and debugging.

#include "actors/lineage/sql/sql_analysis.hpp"

#include <nlohmann/json.hpp>

namespace almanac::lineage {

/// {"kind", "fingerprint", "normalized", "parse_error"?, "error_position"?,
///  "tables_read", "tables_written", "columns_read": {table: [column]},
///  "columns_written": [{"table","column"}], "joins": [{"left","right",
///  "columns": [[l, r]]}], "filter_columns", "unresolved_columns",
///  "outputs": [{"name","named","sources"}], "column_lineage": [{"target",
///  "sources"}], "table_lineage": [{"from","to"}]}.
nlohmann::json to_json(const statement_analysis& a);

/// As above, plus "statements": [...] when the text holds more than one.
nlohmann::json to_json(const analysis& a);

} // namespace almanac::lineage
