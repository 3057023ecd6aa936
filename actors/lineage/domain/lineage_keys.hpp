#pragma once

// Shared helpers of the query store, lineage and popularity projections.

#include "messages/events.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace almanac::lineage {

/// "schema.table" (or "table") of source `source` -> its catalog URN
/// (kind table; `view` when `is_view`).
std::string table_urn(const std::string& source, const std::string& qualified,
                      bool is_view = false);

/// The URN of a column of a table or view URN; empty if `table_urn` is not
/// a URN (an empty one: a dataset without a URN) or `column` is empty.
std::string column_urn(const std::string& table_urn, const std::string& column);

/// The catalog URN of an OpenLineage dataset {"namespace", "name"}: a name
/// "db.schema.table" maps to source db; otherwise the namespace is the source
/// and the name the (schema-qualified) table.
std::string dataset_urn(const nlohmann::json& dataset);

/// Big-endian bytes of `x` (keys sort by number).
std::string be64(uint64_t x);

/// A stable id for a query execution (source, user, start, SQL, origin):
/// ingesting the same log twice yields the same ids.
std::string execution_id(const nlohmann::json& q);

} // namespace almanac::lineage
