#pragma once

// The SQL the table profiler sends. Identifiers are always double-quoted
// (embedded quotes doubled), which both PostgreSQL and SQLite accept; the
// statements use only what both understand unless the dialect says more.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace almanac::profiling {

/// Which SQL the source speaks beyond the common subset.
enum class sql_dialect {
  generic,    ///< PostgreSQL and SQLite alike: ORDER BY random() LIMIT n.
  postgresql, ///< Samples repeatably, large tables with TABLESAMPLE first.
  sqlite,     ///< Pages through tables without a key by rowid.
};

/// `name` as a double-quoted identifier: a"b -> "a""b".
std::string quote_identifier(std::string_view name);

/// "schema"."table", or "table" when `schema` is empty.
std::string qualified_name(std::string_view schema, std::string_view table);

/// A JSON scalar as an SQL literal: numbers as they are, booleans as
/// TRUE/FALSE, strings single-quoted (embedded quotes doubled), null as NULL.
std::string sql_literal(const nlohmann::json& value);

/// The select list: the quoted columns joined by ", ", or * when empty.
std::string select_list(const std::vector<std::string>& columns);

/// SELECT count(*) FROM the table.
std::string count_sql(const std::string& from);

/// A uniform random sample of `n` rows of `from`, which holds `row_count`
/// rows: ORDER BY random() LIMIT n. For PostgreSQL a repeatable one, so
/// that profiling an unchanged table twice gives the same figures: rows
/// ordered by the MD5 of their text (ties are equal rows), over a BERNOULLI
/// pre-sample with a fixed seed (REPEATABLE) sized to give n rows with a
/// wide margin when the table is much larger than n (`row_count` 0: no
/// pre-sample, for views).
std::string sample_sql(sql_dialect dialect, const std::string& select,
                       const std::string& from, uint64_t n, uint64_t row_count);

/// One page of a keyset scan ordered by `keys` (quoted): the rows after
/// `last` (the previous page's last key values; empty for the first page).
/// The key columns follow the select list in each row.
std::string keyset_page_sql(const std::string& select, const std::string& from,
                            const std::vector<std::string>& keys,
                            const std::vector<nlohmann::json>& last,
                            uint64_t limit);

/// One page of an offset scan, ordered by every selected column (by position,
/// 1..`ordered_columns`; none when 0) so that pages neither overlap nor miss.
std::string offset_page_sql(const std::string& select, const std::string& from,
                            size_t ordered_columns, uint64_t offset, uint64_t limit);

} // namespace almanac::profiling
