#pragma once

// The analytics schema in PostgreSQL (issue 15): a star schema of the log's
// usage and catalog facts, versioned, with ordered migrations and a
// read-only role for BI tools. Plain C++ over libpqxx (no actor code): the
// analytics projection runs it on its own thread, never on the scheduler.
//
// Tables (docs/analytics.md documents every column):
//   schema_version     one row: the schema's version
//   projection_state   one row: the next log offset to apply (written in the
//                      same transaction as each batch: exactly once)
//   dim_users, dim_entities, dim_sources, dim_dates
//   fact_entity_views, fact_searches, fact_query_executions,
//   fact_curation_edits, fact_jobs, fact_extraction_runs,
//   fact_profiling_runs, fact_logins, fact_lineage_edges,
//   fact_compose_executions
// Views: activity, active_users_daily|weekly|monthly,
//   top_entities_viewed_90d, top_entities_queried_90d, top_users,
//   searches_without_results, curation_coverage, adoption_over_time.
//
// Versions: 1 the tables and views; 2 the indexes the views' filters use.

#include <pqxx/connection>

#include <string>

namespace almanac::analytics {

/// The newest schema version this code knows.
constexpr int schema_version = 2;

/// The role BI tools' logins are members of: SELECT on the schema only.
constexpr const char* reader_role = "almanac_analytics_reader";

/// What migrate() did, or why it did nothing.
struct migration {
  int from = 0; ///< the version found (0: none)
  int to = 0;   ///< the version now
  std::string error; ///< empty on success
  bool ok() const { return error.empty(); }
};

/// Creates schema `schema` at version `target` (default: the newest), or
/// migrates an older one to it, in one transaction under an advisory lock
/// (two nodes cannot migrate at once). A schema at a version newer than
/// this code's is refused, with both versions named, and left unchanged.
/// Also creates the reader role if missing and grants it SELECT on the
/// schema's tables and views (and on those created later).
migration migrate(pqxx::connection& conn, const std::string& schema,
                  int target = schema_version);

/// The version of `schema` (0 if it has none).
int version_of(pqxx::connection& conn, const std::string& schema);

/// A double-quoted SQL identifier.
std::string quote_ident(const std::string& name);

} // namespace almanac::analytics
