#include "connectors/sqlite/sqlite_connector.hpp"

#include "connectors/sqlite/sqlite_catalog.hpp"
#include "messages/error.hpp"

#include <sqlite3.h>

#include <sys/stat.h>

#include <cctype>

namespace almanac::connectors {

namespace {

using clock_type = std::chrono::steady_clock;
using sqlite_detail::statement;

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           clock_type::now().time_since_epoch())
    .count();
}

/// Whether only whitespace, comments and semicolons follow a statement.
bool only_trivia(const char* p) {
  while (*p) {
    if (std::isspace(static_cast<unsigned char>(*p)) || *p == ';') {
      ++p;
    } else if (p[0] == '-' && p[1] == '-') {
      while (*p && *p != '\n')
        ++p;
    } else if (p[0] == '/' && p[1] == '*') {
      p += 2;
      while (*p && !(p[0] == '*' && p[1] == '/'))
        ++p;
      if (*p)
        p += 2;
    } else {
      return false;
    }
  }
  return true;
}

std::string describe(const source_config& cfg) {
  std::string out = "sqlite source";
  if (!cfg.name.empty())
    out += " '" + cfg.name + "'";
  return out + " (" + cfg.path + ")";
}

/// A value as JSON: integers and reals as numbers, NULL as null, text as
/// text, blobs as lower-case hex.
nlohmann::json value(sqlite3_stmt* st, int col) {
  switch (sqlite3_column_type(st, col)) {
    case SQLITE_NULL:
      return nullptr;
    case SQLITE_INTEGER:
      return static_cast<int64_t>(sqlite3_column_int64(st, col));
    case SQLITE_FLOAT:
      return sqlite3_column_double(st, col);
    case SQLITE_BLOB: {
      auto p = static_cast<const unsigned char*>(sqlite3_column_blob(st, col));
      auto n = sqlite3_column_bytes(st, col);
      static constexpr char digits[] = "0123456789abcdef";
      std::string hex;
      hex.reserve(2 * static_cast<size_t>(n));
      for (int i = 0; i < n; ++i) {
        hex += digits[p[i] >> 4];
        hex += digits[p[i] & 15];
      }
      return hex;
    }
    default: {
      auto p = reinterpret_cast<const char*>(sqlite3_column_text(st, col));
      return std::string{p, static_cast<size_t>(sqlite3_column_bytes(st, col))};
    }
  }
}

} // namespace

caf::expected<std::unique_ptr<connector>>
sqlite_connector::open(const source_config& cfg) {
  if (cfg.path.empty())
    return make_error(ec::invalid_argument, "sqlite source '" + cfg.name
                                              + "': no database path");
  struct stat st {};
  if (::stat(cfg.path.c_str(), &st) != 0)
    return make_error(ec::not_found, describe(cfg) + ": no such database file");
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(cfg.path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr);
  if (rc == SQLITE_CANTOPEN || rc == SQLITE_READONLY || rc == SQLITE_PERM) {
    sqlite3_close(db);
    db = nullptr;
    rc = sqlite3_open_v2(cfg.path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  }
  if (rc == SQLITE_OK) {
    // Opening is lazy: read the schema now so a non-database fails here.
    rc = sqlite3_exec(db, "SELECT count(*) FROM sqlite_master", nullptr, nullptr, nullptr);
  }
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return make_error(ec::unavailable, "cannot open " + describe(cfg) + ": " + msg);
  }
  sqlite3_extended_result_codes(db, 0);
  return std::unique_ptr<connector>{new sqlite_connector(cfg, db)};
}

sqlite_connector::sqlite_connector(source_config cfg, sqlite3* db)
  : cfg_(std::move(cfg)), db_(db) {
}

sqlite_connector::~sqlite_connector() {
  sqlite3_close_v2(db_);
}

int sqlite_connector::on_progress(void* p) {
  auto* self = static_cast<sqlite_connector*>(p);
  if (self->cancelled_)
    return 1;
  auto deadline = self->deadline_ns_.load();
  if (deadline != 0 && now_ns() > deadline) {
    self->timed_out_ = true;
    return 1;
  }
  return 0;
}

void sqlite_connector::cancel() {
  if (!running_)
    return;
  cancelled_ = true;
  sqlite3_interrupt(db_);
}

caf::expected<catalog_snapshot>
sqlite_connector::extract(const extract_options& opts, const progress_fn& progress,
                          const std::atomic<bool>& cancel) {
  cancelled_ = false;
  running_ = true;
  auto result = sqlite_detail::read_catalog(db_, describe(cfg_), opts, progress, cancel);
  running_ = false;
  if (!result && cancelled_)
    return make_error(ec::cancelled, "extract on " + describe(cfg_) + ": cancelled");
  return result;
}

caf::expected<query_result> sqlite_connector::query(const std::string& sql,
                                                    const query_options& opts) {
  const auto start = clock_type::now();
  cancelled_ = false;
  timed_out_ = false;
  deadline_ns_ = opts.timeout.count() > 0
                   ? now_ns() + std::chrono::nanoseconds{opts.timeout}.count()
                   : 0;
  running_ = true;
  struct reset {
    sqlite_connector* self;
    ~reset() {
      self->running_ = false;
      self->deadline_ns_ = 0;
      sqlite3_progress_handler(self->db_, 0, nullptr, nullptr);
    }
  } reset_on_exit{this};

  sqlite3_exec(db_, opts.read_only ? "PRAGMA query_only = ON" : "PRAGMA query_only = OFF",
               nullptr, nullptr, nullptr);
  sqlite3_progress_handler(db_, 1000, &on_progress, this);

  const char* tail = nullptr;
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &raw, &tail);
  std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> st{raw, sqlite3_finalize};
  if (rc != SQLITE_OK)
    return make_error(ec::invalid_argument, sqlite3_errmsg(db_));
  if (!st)
    return make_error(ec::invalid_argument, "no SQL statement to run");
  if (!only_trivia(tail))
    return make_error(ec::invalid_argument,
                      "one statement at a time: text follows the first statement");
  if (opts.read_only && !sqlite3_stmt_readonly(st.get()))
    return make_error(ec::forbidden, "read-only mode: the statement would write to "
                                       + describe(cfg_));

  query_result out;
  const int ncols = sqlite3_column_count(st.get());
  for (int c = 0; c < ncols; ++c) {
    out.columns.emplace_back(sqlite3_column_name(st.get(), c));
    auto decl = sqlite3_column_decltype(st.get(), c);
    out.column_types.emplace_back(decl ? decl : "");
  }
  while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
    if (out.rows.size() >= opts.row_limit) {
      out.truncated = true;
      out.truncated_by = "rows";
      break;
    }
    if (out.bytes >= opts.byte_limit) {
      out.truncated = true;
      out.truncated_by = "bytes";
      break;
    }
    auto row = nlohmann::json::array();
    for (int c = 0; c < ncols; ++c) {
      row.push_back(value(st.get(), c));
      out.bytes += static_cast<uint64_t>(sqlite3_column_bytes(st.get(), c));
    }
    out.rows.push_back(std::move(row));
  }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
    if (rc == SQLITE_INTERRUPT && cancelled_)
      return make_error(ec::cancelled, "query on " + describe(cfg_) + ": cancelled");
    if (rc == SQLITE_INTERRUPT)
      return make_error(ec::timeout, "query on " + describe(cfg_)
                                       + ": exceeded the timeout of "
                                       + std::to_string(opts.timeout.count()) + " ms");
    if (rc == SQLITE_READONLY)
      return make_error(ec::forbidden, std::string{"read-only mode: "}
                                         + sqlite3_errmsg(db_));
    if (rc == SQLITE_AUTH || rc == SQLITE_PERM)
      return make_error(ec::forbidden, sqlite3_errmsg(db_));
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED || rc == SQLITE_IOERR)
      return make_error(ec::unavailable, "query on " + describe(cfg_) + ": "
                                           + sqlite3_errmsg(db_));
    return make_error(ec::invalid_argument, sqlite3_errmsg(db_));
  }
  out.duration = std::chrono::duration_cast<std::chrono::milliseconds>(
    clock_type::now() - start);
  return out;
}

caf::expected<std::vector<query_log_entry>>
sqlite_connector::read_query_log(uint64_t) {
  return make_error(ec::unavailable, describe(cfg_) + ": SQLite keeps no query log");
}

caf::expected<std::string> sqlite_connector::privileges() {
  return std::string{};
}

caf::error sqlite_connector::check_config(const source_config& cfg) {
  if (!cfg.dsn.empty())
    return make_error(ec::invalid_argument,
                      "field 'dsn': a sqlite source takes 'path', not 'dsn'");
  return caf::none;
}

} // namespace almanac::connectors
