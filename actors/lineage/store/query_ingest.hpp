#pragma once

// Turns query-log entries into analyzed QueryObserved events. Table names in
// the analysis are resolved to catalog URNs against the entry's source
// ("a query that names schema.table without a source resolves against the
// source it was ingested for"); `*` is expanded from the catalog's columns.
//
// QueryObserved@1 (key "query:<fingerprint>"):
//   {"execution_id", "origin": "upload"|"compose"|"pg_stat_statements",
//    "source", "database", "user", "sql", "start_time", "start_ms",
//    "duration_ms", "calls", "fingerprint", "normalized", "kind",
//    "parse_error" (null if it parsed), "tables_read", "tables_written"
//    (URNs), "columns_read", "columns_written", "filters" (column URNs),
//    "joins": [{"left","right","columns":[[l, r]]}],
//    "table_lineage": [{"from","to"}], "column_lineage": [{"target","sources"}]}
// A query that does not parse keeps its parse error and a fingerprint
// "err-<hash of the text>"; it is counted, never dropped.

#include "actors/catalog/catalog_projection.hpp"
#include "messages/event_types.hpp"

#include <caf/expected.hpp>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace almanac::lineage {

struct analysis;
class analysis_cache;

/// Analyzes one entry {"sql", "user", "database", "source", "start_time",
/// "duration_ms", "calls"} into a QueryObserved event. With `pre`, that
/// analysis of the entry's SQL is used instead of analyzing it here (e.g. one
/// from a cache).
ev::query_observed analyze_query(const nlohmann::json& entry, const std::string& origin,
                                 const catalog::catalog_projection* catalog,
                                 const analysis* pre = nullptr);

/// analyze_query with the analysis from `cache` (shared by every thread
/// that ingests; the catalog's columns for the entry's context are checked
/// on each hit).
ev::query_observed analyze_query(const nlohmann::json& entry, const std::string& origin,
                                 const catalog::catalog_projection* catalog,
                                 analysis_cache& cache);

/// analyze_query as the event to append (keyed by the query's fingerprint).
event_input observe_query(const nlohmann::json& entry, const std::string& origin,
                          const catalog::catalog_projection* catalog,
                          const analysis* pre = nullptr);

/// observe_query with the analysis from `cache`.
event_input observe_query(const nlohmann::json& entry, const std::string& origin,
                          const catalog::catalog_projection* catalog, analysis_cache& cache);

/// observe_query of every entry, in order, analysed on up to `threads`
/// threads beside the caller (0: one per core) when there are enough
/// entries to share. The events are one thread's, but for "normalized",
/// which on a cache hit is the first text of that shape the node saw.
std::vector<event_input> observe_all(const std::vector<nlohmann::json>& entries,
                                     const std::string& origin,
                                     const catalog::catalog_projection* catalog,
                                     analysis_cache& cache, unsigned threads = 0);

/// Parses an upload body of JSON lines; fails naming the first bad line (and
/// nothing is appended then). `default_source` fills a missing "source".
caf::expected<std::vector<nlohmann::json>>
parse_query_lines(const std::string& body, const std::string& default_source);

/// Parses a PostgreSQL server log: `format` is "csvlog" (log_destination =
/// csvlog) or "jsonlog" (PostgreSQL 15's jsonlog). Statement lines
/// ("statement: ...", "duration: N ms  statement: ...", "execute <name>: ...")
/// become entries; other lines are skipped. Fails naming a malformed line.
caf::expected<std::vector<nlohmann::json>>
parse_pg_log(const std::string& body, const std::string& format,
             const std::string& source);

} // namespace almanac::lineage
