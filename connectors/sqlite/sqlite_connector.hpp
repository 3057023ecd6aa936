#pragma once

// The SQLite connector: metadata from sqlite_master and the table pragmas,
// queries with a row limit, a timeout (progress handler) and cancellation
// (sqlite3_interrupt). libsqlite3 stays out of this header.

#include "connectors/connector.hpp"

#include <atomic>
#include <chrono>

struct sqlite3;

namespace almanac::connectors {

/// A connection to one SQLite database file. Not thread-safe except cancel().
class sqlite_connector : public connector {
public:
  /// Opens `cfg.path` (read-write if allowed, else read-only; never creates
  /// it): ec::not_found when the file does not exist, ec::unavailable when it
  /// cannot be opened as a database.
  static caf::expected<std::unique_ptr<connector>> open(const source_config& cfg);

  /// Checks cfg: a path and no dsn (a dsn would be stored in the log for nothing).
  static caf::error check_config(const source_config& cfg);

  ~sqlite_connector() override;

  /// Reads "main" and attached schemas: tables, views (definition: the
  /// SELECT of the CREATE VIEW statement), columns (pragma table_xinfo),
  /// primary keys, foreign keys (named "<table>_<columns>_fkey", as SQLite
  /// keeps no names) and row estimates (sqlite_stat1, else count(*) when it
  /// finishes within 50 ms, else -1). Calls `progress` after each table.
  caf::expected<catalog_snapshot> extract(const extract_options& opts,
                                          const progress_fn& progress,
                                          const std::atomic<bool>& cancel) override;

  /// Runs one statement (trailing statements are refused). With
  /// opts.read_only, a statement that would write is refused with
  /// ec::forbidden before it runs, and `PRAGMA query_only` is on.
  caf::expected<query_result> query(const std::string& sql,
                                    const query_options& opts) override;

  void cancel() override;

  /// ec::unavailable: SQLite keeps no query log.
  caf::expected<std::vector<query_log_entry>>
  read_query_log(uint64_t limit) override;

  /// Empty: SQLite has no roles; the process's own file access applies.
  caf::expected<std::string> privileges() override;

private:
  sqlite_connector(source_config cfg, sqlite3* db);

  /// The progress handler: non-zero (interrupt) once cancelled or past the deadline.
  static int on_progress(void* self);

  source_config cfg_;
  sqlite3* db_;
  std::atomic<bool> running_{false};
  std::atomic<bool> cancelled_{false};
  std::atomic<bool> timed_out_{false};
  /// Deadline of the running statement (steady clock, ns; 0: none).
  std::atomic<int64_t> deadline_ns_{0};
};

} // namespace almanac::connectors
