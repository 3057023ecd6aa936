#pragma once

// Internal to the SQLite connector: statements and SQL text helpers
// (sqlite_sql.cpp) and metadata extraction (sqlite_catalog.cpp).

#include "connectors/connector.hpp"

#include <sqlite3.h>

#include <string>

namespace almanac::connectors::sqlite_detail {

/// A prepared statement, finalized on destruction.
class statement {
public:
  statement(sqlite3* db, const std::string& sql);
  ~statement();
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;

  /// SQLITE_OK if it compiled; otherwise the error code (see sqlite3_errmsg).
  int status() const {
    return status_;
  }
  sqlite3_stmt* get() const {
    return stmt_;
  }
  void bind(int index, const std::string& text);
  /// sqlite3_step().
  int step();
  std::string text(int col) const;
  bool is_null(int col) const;
  int64_t integer(int col) const;

private:
  sqlite3_stmt* stmt_ = nullptr;
  int status_;
};

/// `name` as a double-quoted identifier.
std::string quote_identifier(const std::string& name);

/// The SELECT of a CREATE VIEW statement (the statement itself if it cannot
/// be split).
std::string view_body(const std::string& create_view);

/// Reads the metadata of `db`; errors name `source` (e.g. "sqlite source
/// 'shop' (/data/shop.db)").
caf::expected<catalog_snapshot> read_catalog(sqlite3* db, const std::string& source,
                                             const extract_options& opts,
                                             const progress_fn& progress,
                                             const std::atomic<bool>& cancel);

} // namespace almanac::connectors::sqlite_detail
