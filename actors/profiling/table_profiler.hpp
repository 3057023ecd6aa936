#pragma once

// Profiles a table of a source through its connector: counts the rows with
// count(*), reads a random sample (default 10,000 rows) or the whole table in
// pages, and feeds every column's values into a column_stats accumulator.
//
// Memory stays bounded: one page of rows at a time plus each column's bounded
// accumulator. A full read pages by keyset over `key_columns` when given (the
// primary key: each page is an index range scan), by rowid on SQLite, and
// otherwise by LIMIT/OFFSET ordered by every selected column (correct, but
// each page sorts the table: pass the key for large tables).
//
// Blocking: runs on a job-pool thread, never on the shared scheduler.

#include "actors/profiling/column_stats.hpp"
#include "actors/profiling/defaults.hpp"
#include "actors/profiling/sql.hpp"
#include "connectors/connector.hpp"

#include <caf/expected.hpp>

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <set>
#include <string>
#include <vector>

namespace almanac::profiling {

/// How to profile a table.
struct profile_options {
  /// Read every row instead of a sample.
  bool full = false;
  /// Rows of a sample (tables with at most this many rows are read in full).
  uint64_t sample_size = defaults::sample_size;
  /// Rows per query of a full read.
  uint64_t page_size = defaults::page_size;
  /// What SQL the source speaks beyond the common subset.
  sql_dialect dialect = sql_dialect::generic;
  /// A unique, non-null key of the table (its primary key) for keyset paging.
  std::vector<std::string> key_columns;
  /// Timeout of each query.
  std::chrono::milliseconds query_timeout = defaults::query_timeout;
  /// How each column's statistics are gathered.
  column_stats_options stats;
  /// Columns whose raw values (top values, min/max, ...) are kept although
  /// they look like personal data (an admin allowed it, pii.hpp).
  std::set<std::string> raw_value_columns;
};

/// Profiles `columns` (all when empty) of `schema`.`table` (`schema` may be
/// empty). Returns {"table_row_count", "sampled", "sample_size", "method":
/// "sample"|"full", "columns": {name: column profile}}; each column profile is
/// column_stats::profile() (of a sample: column_stats::sampled_profile(),
/// whose row_count is the table's) with "sampled" and "sample_size" (rows
/// read) set. A column that looks like personal data (pii.hpp) gets "pii":
/// {"kind", "reason": "name"|"content", "raw_values"} and, unless it is in
/// raw_value_columns, no raw values.
///
/// Reports progress as (rows read, rows to read). Checks `cancel` before each
/// query and fails with ec::cancelled once it is set (whoever sets it should
/// also call c.cancel() to stop the query running then). Errors of the
/// connector pass through unchanged.
caf::expected<nlohmann::json>
profile_table(connectors::connector& c, const std::string& schema,
              const std::string& table, const std::vector<std::string>& columns,
              const profile_options& opts, const std::atomic<bool>& cancel,
              const connectors::progress_fn& progress = {});

} // namespace almanac::profiling
