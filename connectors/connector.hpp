#pragma once

// The one interface every source-database connector implements. Adding a
// connector means adding one folder under connectors/ with a class that
// implements `connector` and registering its kind in registry.cpp.
//
// Connectors are plain, blocking C++: they run only on job-pool threads or
// detached actors, never on the shared actor scheduler. Errors are
// caf::error with almanac::ec codes (messages/error.hpp): `unavailable` for
// an unreachable host or dropped connection, `unauthenticated` for a wrong
// password, `forbidden` for a permission error, `timeout`, `cancelled`,
// `invalid_argument` for SQL the source rejects (message = the source's).

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace almanac::connectors {

/// A column of a table or view.
struct column_info {
  std::string name;
  std::string data_type;                    ///< As the source spells it, e.g. "character varying(255)".
  bool nullable = true;
  std::optional<std::string> default_value; ///< The default expression, if any.
  std::string comment;
  int ordinal = 0;                          ///< 1-based position.
};

/// A foreign key of a table.
struct foreign_key {
  std::string name;
  std::vector<std::string> columns;
  std::string ref_schema;
  std::string ref_table;
  std::vector<std::string> ref_columns;
};

/// A table, view or materialized view.
struct table_info {
  std::string schema;
  std::string name;
  /// "table", "partitioned_table", "view", "materialized_view" or "foreign_table".
  std::string kind;
  std::string comment;
  std::optional<std::string> definition;    ///< SQL of views and materialized views.
  std::optional<std::string> partition_of;  ///< Parent table of a partition.
  std::vector<column_info> columns;
  std::vector<std::string> primary_key;     ///< Column names, in key order.
  std::vector<foreign_key> foreign_keys;
  int64_t row_estimate = -1;                ///< -1 if unknown.
};

/// A schema (namespace).
struct schema_info {
  std::string name;
  std::string comment;
};

/// What a source holds, as metadata.
struct catalog_snapshot {
  std::vector<schema_info> schemas;
  std::vector<table_info> tables; ///< Ordered by schema, then name.
};

/// What to extract.
struct extract_options {
  /// Only these schemas (empty: all but the source's system schemas).
  std::vector<std::string> schemas;
  /// Only these tables, as "schema.table" (empty: all).
  std::vector<std::string> tables;
};

/// Reports progress: objects done, objects in total.
using progress_fn = std::function<void(uint64_t done, uint64_t total)>;

/// How to run a query.
struct query_options {
  uint64_t row_limit = 1000;                  ///< Rows returned at most.
  uint64_t byte_limit = 16u << 20;            ///< Bytes of values read at most.
  std::chrono::milliseconds timeout{30000};   ///< Enforced by the source.
  bool read_only = true;                      ///< In a read-only transaction.
};

/// The answer of a query.
struct query_result {
  std::vector<std::string> columns;
  std::vector<std::string> column_types;
  /// Rows as JSON arrays: numbers as numbers, booleans as booleans, NULL as
  /// null, everything else as strings.
  nlohmann::json rows = nlohmann::json::array();
  bool truncated = false;                     ///< Stopped at row_limit or byte_limit.
  std::string truncated_by;                   ///< "rows" or "bytes" when truncated.
  uint64_t bytes = 0;                         ///< Bytes of values read.
  std::chrono::milliseconds duration{0};
};

/// One entry of a source's own query log.
struct query_log_entry {
  std::string sql;
  std::string user;
  std::string database;
  /// The search_path the statement ran with, as PostgreSQL writes it
  /// ("$user", public), when the source says ("" if it does not).
  std::string search_path;
  int64_t start_time_ms = 0;  ///< 0 if the source does not say.
  double duration_ms = 0;     ///< Mean duration if aggregated.
  uint64_t calls = 1;         ///< Executions represented by this entry.
};

/// A connection to one source database.
class connector {
public:
  virtual ~connector() = default;

  /// Reads the source's metadata. Checks `cancel` between objects and fails
  /// with ec::cancelled when it is set.
  virtual caf::expected<catalog_snapshot>
  extract(const extract_options& opts, const progress_fn& progress,
          const std::atomic<bool>& cancel) = 0;

  /// Runs `sql`. Thread-safe with cancel() only.
  virtual caf::expected<query_result> query(const std::string& sql,
                                            const query_options& opts) = 0;

  /// Cancels the query running now (from any thread); it fails with
  /// ec::cancelled.
  virtual void cancel() = 0;

  /// Reads the source's query log (e.g. pg_stat_statements), at most `limit`
  /// entries; ec::unavailable if the source keeps none.
  virtual caf::expected<std::vector<query_log_entry>>
  read_query_log(uint64_t limit) = 0;

  /// Says what the connected role may do beyond reading and writing data —
  /// be a superuser, run programs or read or write files on the database
  /// server, signal other sessions — as a phrase such as "is a superuser" or
  /// "is a member of pg_read_server_files"; empty if nothing. Asked of the
  /// source itself (its catalogs), never guessed from SQL text.
  virtual caf::expected<std::string> privileges() = 0;
};

/// How to reach a source (what the sources API stores, plus the resolved secret).
struct source_config {
  std::string name;     ///< The catalog's name of the source, e.g. "pagila".
  std::string kind;     ///< "postgresql" or "sqlite".
  std::string dsn;      ///< libpq connection string (postgresql).
  std::string password; ///< Resolved secret; never logged, never in events.
  std::string path;     ///< Database file (sqlite).
  /// Compose may run even if the role is privileged (compose.allow_privileged).
  bool compose_allow_privileged = false;
};

/// Connects to a source of any registered kind; ec::invalid_argument for an
/// unknown kind.
caf::expected<std::unique_ptr<connector>> connect(const source_config& cfg);

/// Checks a configuration the sources API is about to store (in the event
/// log, readable by every viewer) without connecting: its kind's rules, e.g.
/// no password inside a postgresql dsn. ec::invalid_argument naming the
/// problem, never the secret.
caf::error check_config(const source_config& cfg);

/// The registered connector kinds.
std::vector<std::string> connector_kinds();

} // namespace almanac::connectors
