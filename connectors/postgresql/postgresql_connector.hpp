#pragma once

// The PostgreSQL connector: metadata from the system catalogs in a handful of
// queries for the whole database, queries in (read-only) transactions through
// a cursor, cancellation through libpq's cancel request, the query log from
// pg_stat_statements. libpqxx stays out of this header.

#include "connectors/connector.hpp"

#include <functional>
#include <memory>
#include <mutex>

namespace pqxx {
class nontransaction;
} // namespace pqxx

namespace almanac::connectors {

/// A connection to one PostgreSQL database (libpqxx). Not thread-safe except
/// cancel(); reconnects on the next call after the connection was lost.
class postgresql_connector : public connector {
public:
  /// Connects to `cfg.dsn` with `cfg.password`. ec::unauthenticated for a
  /// wrong password, ec::unavailable for an unreachable server; messages name
  /// the host and port, never the password.
  static caf::expected<std::unique_ptr<connector>> open(const source_config& cfg);

  /// Checks cfg.dsn without connecting: it must parse and must not hold a
  /// password (pg::check_dsn).
  static caf::error check_config(const source_config& cfg);

  ~postgresql_connector() override;

  /// Reads schemas, tables, partitions, views, materialized views, columns,
  /// keys and row estimates in one repeatable-read, read-only transaction with
  /// search_path = pg_catalog (so type names and view definitions come
  /// schema-qualified). Column ordinals are attnum (as information_schema's
  /// ordinal_position). Relations that belong to an extension are left
  /// out. Calls `progress(0, total)` once the relations are
  /// listed (before columns are read) and `progress(total, total)` at the end.
  caf::expected<catalog_snapshot> extract(const extract_options& opts,
                                          const progress_fn& progress,
                                          const std::atomic<bool>& cancel) override;

  /// Runs one statement (several are refused by the extended protocol) in a
  /// transaction that is READ ONLY when opts.read_only (then always rolled
  /// back) and has `statement_timeout` set from opts.timeout. Row-returning
  /// statements run through a cursor fetching row_limit + 1 rows.
  caf::expected<query_result> query(const std::string& sql,
                                    const query_options& opts) override;

  void cancel() override;

  /// Reads pg_stat_statements for this database's statements, most called
  /// first; ec::unavailable naming the extension when it is not installed.
  caf::expected<std::vector<query_log_entry>>
  read_query_log(uint64_t limit) override;

  /// Asks pg_roles about current_user: a superuser, a member of a superuser
  /// role, of pg_execute_server_program, pg_read_server_files,
  /// pg_write_server_files or pg_signal_backend, or granted EXECUTE on the
  /// server file and configuration functions (pg_read_file, lo_import, ...).
  caf::expected<std::string> privileges() override;

  struct session; ///< The libpqxx connection and what belongs to it.

private:
  postgresql_connector(source_config cfg, std::string conninfo);

  /// (Re)connects when there is no open connection.
  caf::error ensure_connected();

  /// Runs `body` as one cancellable operation (`what`: "extract", "query",
  /// "query log") on a connected session: maps libpqxx exceptions to errors
  /// and, after a failure, rolls back what transaction is still open.
  caf::error run(const char* what, long long timeout_ms,
                 const std::function<caf::error(pqxx::nontransaction&)>& body);

  /// Type names of `oids` (cached per session; unknown ones looked up).
  std::vector<std::string> type_names(pqxx::nontransaction& tx,
                                      const std::vector<unsigned>& oids);

  source_config cfg_;
  std::string conninfo_;
  std::string target_;
  std::unique_ptr<session> session_;
  std::mutex mtx_;          ///< Guards session_ replacement against cancel().
  bool running_ = false;    ///< Guarded by mtx_.
  bool cancelled_ = false;  ///< Guarded by mtx_.
};

} // namespace almanac::connectors
