#include "connectors/postgresql/postgresql_connector.hpp"

#include "connectors/postgresql/pg_catalog.hpp"
#include "connectors/postgresql/pg_support.hpp"
#include "messages/error.hpp"

#include <pqxx/connection>
#include <pqxx/errorhandler>
#include <pqxx/nontransaction>
#include <pqxx/result>

#include <algorithm>
#include <set>
#include <cctype>
#include <unordered_map>

namespace almanac::connectors {

namespace {

using clock_type = std::chrono::steady_clock;

/// Swallows server notices (e.g. "there is no transaction in progress" from a
/// defensive ROLLBACK) instead of printing them on stderr.
class notice_sink : public pqxx::errorhandler {
public:
  using pqxx::errorhandler::errorhandler;
  bool operator()(const char*) noexcept override {
    return false;
  }
};

/// The first keyword of `sql`, lowercase, after whitespace, parentheses and
/// comments (block comments nest, as in PostgreSQL).
std::string first_keyword(const std::string& sql) {
  size_t i = 0;
  const size_t n = sql.size();
  while (i < n) {
    unsigned char c = sql[i];
    if (std::isspace(c) || c == '(') {
      ++i;
    } else if (sql.compare(i, 2, "--") == 0) {
      i = sql.find('\n', i);
      if (i == std::string::npos)
        return {};
    } else if (sql.compare(i, 2, "/*") == 0) {
      int depth = 0;
      while (i < n) {
        if (sql.compare(i, 2, "/*") == 0) {
          ++depth;
          i += 2;
        } else if (sql.compare(i, 2, "*/") == 0) {
          i += 2;
          if (--depth == 0)
            break;
        } else {
          ++i;
        }
      }
      if (depth != 0)
        return {};
    } else {
      break;
    }
  }
  std::string word;
  while (i < n && std::isalpha(static_cast<unsigned char>(sql[i])))
    word += static_cast<char>(std::tolower(static_cast<unsigned char>(sql[i++])));
  return word;
}

long long millis_since(clock_type::time_point t0) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - t0)
    .count();
}

} // namespace

struct postgresql_connector::session {
  explicit session(const std::string& conninfo) : conn{conninfo}, sink{conn} {
  }
  pqxx::connection conn;
  notice_sink sink;
  std::unordered_map<unsigned, std::string> type_names; ///< Cache: OID -> name.
};

caf::expected<std::unique_ptr<connector>>
postgresql_connector::open(const source_config& cfg) {
  std::string conninfo;
  if (auto err = pg::make_conninfo(cfg.dsn, cfg.password, conninfo))
    return err;
  std::unique_ptr<postgresql_connector> self{
    new postgresql_connector(cfg, std::move(conninfo))};
  if (auto err = self->ensure_connected())
    return err;
  return std::unique_ptr<connector>{std::move(self)};
}

caf::error postgresql_connector::check_config(const source_config& cfg) {
  return pg::check_dsn(cfg.dsn);
}

postgresql_connector::postgresql_connector(source_config cfg, std::string conninfo)
  : cfg_(std::move(cfg)), conninfo_(std::move(conninfo)) {
  target_ = "postgresql source";
  if (!cfg_.name.empty())
    target_ += " '" + cfg_.name + "'";
  target_ += " (" + pg::describe_target(cfg_.dsn) + ")";
}

postgresql_connector::~postgresql_connector() = default;

caf::error postgresql_connector::ensure_connected() {
  if (session_ && session_->conn.is_open())
    return {};
  std::unique_ptr<session> fresh;
  try {
    fresh = std::make_unique<session>(conninfo_);
  } catch (...) {
    pg::error_context ctx{target_, cfg_.password, "connect"};
    return pg::map_exception(std::current_exception(), ctx);
  }
  std::lock_guard<std::mutex> guard{mtx_};
  session_ = std::move(fresh);
  return {};
}

void postgresql_connector::cancel() {
  std::lock_guard<std::mutex> guard{mtx_};
  if (!running_ || !session_)
    return;
  cancelled_ = true;
  try {
    session_->conn.cancel_query();
  } catch (...) {
    // Nothing runs or the connection is gone: the operation ends anyway.
  }
}

caf::error postgresql_connector::run(
  const char* what, long long timeout_ms,
  const std::function<caf::error(pqxx::nontransaction&)>& body) {
  if (auto err = ensure_connected())
    return err;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    running_ = true;
    cancelled_ = false;
  }
  auto finish = [this] {
    std::lock_guard<std::mutex> guard{mtx_};
    running_ = false;
    return cancelled_;
  };
  std::exception_ptr failure;
  caf::error err;
  try {
    pqxx::nontransaction tx{session_->conn};
    err = body(tx);
    tx.commit();
  } catch (...) {
    failure = std::current_exception();
  }
  bool cancelled = finish();
  if (!failure)
    return err;
  if (session_->conn.is_open()) {
    try {
      pqxx::nontransaction tx{session_->conn};
      tx.exec("ROLLBACK");
      tx.commit();
    } catch (...) {
      // The connection is gone; the next call reconnects.
    }
  }
  pg::error_context ctx{target_, cfg_.password, what, cancelled, timeout_ms};
  return pg::map_exception(failure, ctx);
}

caf::expected<catalog_snapshot>
postgresql_connector::extract(const extract_options& opts, const progress_fn& progress,
                              const std::atomic<bool>& cancel) {
  catalog_snapshot snap;
  auto err = run("extract", 0, [&](pqxx::nontransaction& tx) -> caf::error {
    tx.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; "
            "SET LOCAL search_path = pg_catalog");
    auto result = pg::read_catalog(tx, opts, progress, cancel);
    tx.exec("ROLLBACK");
    if (!result)
      return std::move(result.error());
    snap = std::move(*result);
    return {};
  });
  if (err)
    return err;
  return snap;
}

caf::expected<query_result> postgresql_connector::query(const std::string& sql,
                                                        const query_options& opts) {
  const auto start = clock_type::now();
  const long long timeout_ms = std::max<long long>(0, opts.timeout.count());
  query_result out;
  auto err = run("query", timeout_ms, [&](pqxx::nontransaction& tx) -> caf::error {
    // Every statement goes through a cursor, fetched in batches under the
    // row and byte limits: nothing is buffered past them, whatever comments
    // or tricks the text holds. Only SHOW and EXPLAIN (small, fixed-size
    // answers that a cursor cannot run) go without one.
    tx.exec(std::string{opts.read_only ? "BEGIN READ ONLY" : "BEGIN"}
            + "; SET LOCAL statement_timeout = " + std::to_string(timeout_ms)
            + "; SAVEPOINT almanac_q");
    bool cursor = true;
    try {
      // The extended protocol (exec_params) refuses several statements.
      tx.exec_params("DECLARE almanac_q NO SCROLL CURSOR FOR " + sql);
    } catch (const pqxx::sql_error& e) {
      const std::string state = pg::sqlstate_of(e);
      auto kw = first_keyword(sql);
      // Statements that are not queries (a cursor cannot run them).
      static const std::set<std::string> statements{
        "copy", "lock", "set", "reset", "begin", "start", "commit", "rollback", "end",
        "abort", "savepoint", "release", "prepare", "execute", "deallocate", "listen",
        "notify", "unlisten", "load", "discard", "vacuum", "analyze", "cluster",
        "reindex", "checkpoint", "declare", "fetch", "move", "close", "call", "do",
        "grant", "revoke", "create", "alter", "drop", "truncate", "comment", "security",
        "refresh", "import", "insert", "update", "delete", "merge", "show", "explain"};
      static const std::set<std::string> writes{
        "insert", "update", "delete", "merge", "create", "alter", "drop", "truncate",
        "grant", "revoke", "comment", "refresh", "vacuum", "analyze", "cluster", "reindex",
        "security", "import", "call", "do"};
      bool modifying_with = std::string{e.what()}.find("data-modifying") != std::string::npos;
      if (opts.read_only && (writes.count(kw) || modifying_with)) {
        tx.exec("ROLLBACK");
        return make_error(ec::forbidden, "read-only mode: the statement would write ("
                                           + (kw.empty() ? std::string{"?"} : kw) + ")");
      }
      bool not_cursorable = state.rfind("42", 0) == 0 || state == "0A000" || modifying_with;
      if (!not_cursorable || !(statements.count(kw) || modifying_with))
        throw; // an error in the query itself: its own message
      if (opts.read_only && kw != "show" && kw != "explain") {
        tx.exec("ROLLBACK");
        return make_error(ec::invalid_argument,
                          "Compose runs statements that return rows (SELECT, WITH, VALUES, "
                          "TABLE, SHOW, EXPLAIN); '" + kw + "' cannot run here");
      }
      // SHOW, EXPLAIN, and an admin's writes (read_only off): run as they are.
      tx.exec("ROLLBACK TO SAVEPOINT almanac_q");
      cursor = false;
    }
    std::vector<unsigned> oids;
    auto take = [&](const pqxx::result& r) {
      if (oids.empty())
        for (pqxx::row_size_type c = 0; c < r.columns(); ++c) {
          out.columns.emplace_back(r.column_name(c));
          oids.push_back(r.column_type(c));
        }
      for (const auto& row : r) {
        if (out.rows.size() >= opts.row_limit) {
          out.truncated = true;
          out.truncated_by = "rows";
          return false;
        }
        if (out.bytes >= opts.byte_limit) {
          out.truncated = true;
          out.truncated_by = "bytes";
          return false;
        }
        auto values = nlohmann::json::array();
        for (pqxx::row_size_type c = 0; c < row.size(); ++c) {
          const auto& f = row[c];
          out.bytes += f.size();
          if (f.is_null())
            values.push_back(nullptr);
          else
            values.push_back(pg::to_json_value(oids[c], f.c_str(), f.size()));
        }
        out.rows.push_back(std::move(values));
      }
      return true;
    };
    if (!cursor) {
      take(tx.exec_params(sql));
    } else {
      // Start with one row; then size batches so that one batch stays within
      // about an eighth of the byte limit.
      uint64_t batch = 1;
      for (;;) {
        long long left = 0;
        if (timeout_ms > 0)
          left = std::max<long long>(1, timeout_ms - millis_since(start));
        auto want = std::min<uint64_t>(batch, opts.row_limit - out.rows.size() + 1);
        auto r = tx.exec("SET LOCAL statement_timeout = " + std::to_string(left)
                         + "; FETCH FORWARD " + std::to_string(want) + " FROM almanac_q");
        if (!take(r) || r.size() < want)
          break;
        auto per_row = std::max<uint64_t>(1, out.bytes / std::max<size_t>(1, out.rows.size()));
        batch = std::clamp<uint64_t>(opts.byte_limit / 8 / per_row, 1, 1000);
      }
    }
    out.column_types = type_names(tx, oids);
    tx.exec(opts.read_only ? "ROLLBACK" : "COMMIT");
    return {};
  });
  if (err)
    return err;
  out.duration = std::chrono::milliseconds{millis_since(start)};
  return out;
}

std::vector<std::string>
postgresql_connector::type_names(pqxx::nontransaction& tx,
                                 const std::vector<unsigned>& oids) {
  auto& cache = session_->type_names;
  std::string missing;
  for (auto oid : oids)
    if (cache.count(oid) == 0)
      missing += (missing.empty() ? "" : ",") + std::to_string(oid);
  if (!missing.empty())
    for (const auto& row : tx.exec("SELECT oid, format_type(oid, NULL) FROM pg_type "
                                   "WHERE oid IN (" + missing + ")"))
      cache[row[0].as<unsigned>()] = row[1].c_str();
  std::vector<std::string> out;
  for (auto oid : oids) {
    auto it = cache.find(oid);
    out.push_back(it == cache.end() ? std::to_string(oid) : it->second);
  }
  return out;
}

caf::expected<std::vector<query_log_entry>>
postgresql_connector::read_query_log(uint64_t limit) {
  std::vector<query_log_entry> out;
  auto err = run("query log", 0, [&](pqxx::nontransaction& tx) -> caf::error {
    auto ext = tx.exec("SELECT extnamespace::regnamespace::text FROM pg_extension "
                       "WHERE extname = 'pg_stat_statements'");
    if (ext.empty())
      return make_error(ec::unavailable,
                        "pg_stat_statements is not installed in " + target_
                          + " (CREATE EXTENSION pg_stat_statements; it needs "
                            "shared_preload_libraries = 'pg_stat_statements')");
    const std::string mean = session_->conn.server_version() >= 130000
                               ? "s.mean_exec_time" : "s.mean_time";
    // pg_stat_statements does not keep the search_path a statement ran
    // with; the role's default in the database does, as the server picks
    // it at login: ALTER ROLE r IN DATABASE d SET, then ALTER ROLE r SET,
    // then ALTER DATABASE d SET, then ALTER ROLE ALL SET ("" for none: the
    // server's default).
    const std::string role_path =
      "(SELECT substr(c, 13) FROM pg_db_role_setting rs, unnest(rs.setconfig) c"
      " WHERE starts_with(c, 'search_path=') AND rs.setrole IN (s.userid, 0)"
      " AND rs.setdatabase IN (s.dbid, 0)"
      " ORDER BY rs.setrole <> 0 DESC, rs.setdatabase <> 0 DESC LIMIT 1)";
    auto rows = tx.exec_params(
      "SELECT s.query, coalesce(r.rolname, ''), coalesce(d.datname, ''), s.calls, "
        + mean + ", coalesce(" + role_path + ", '') FROM " + ext[0][0].c_str()
        + ".pg_stat_statements s"
        " LEFT JOIN pg_roles r ON r.oid = s.userid"
        " LEFT JOIN pg_database d ON d.oid = s.dbid"
        " WHERE d.datname = current_database()"
        " ORDER BY s.calls DESC, s.queryid LIMIT $1",
      static_cast<long long>(std::min<uint64_t>(limit, uint64_t{1} << 62)));
    for (const auto& row : rows) {
      query_log_entry e;
      e.sql = row[0].c_str();
      e.user = row[1].c_str();
      e.database = row[2].c_str();
      e.calls = row[3].as<unsigned long long>();
      e.duration_ms = row[4].as<double>();
      e.search_path = row[5].c_str();
      out.push_back(std::move(e));
    }
    return {};
  });
  if (err) {
    // "pg_stat_statements must be loaded via shared_preload_libraries" (55000).
    if (code_of(err) == ec::invalid_argument)
      return make_error(ec::unavailable, "pg_stat_statements on " + target_ + ": "
                                           + message_of(err));
    return err;
  }
  return out;
}

caf::expected<std::string> postgresql_connector::privileges() {
  // One row about current_user. pg_has_role(..., 'MEMBER') includes
  // indirect membership and roles one may SET ROLE to; a superuser is a
  // member of every role, so that is reported first.
  static const char* sql =
    "SELECT r.rolname, r.rolsuper,"
    " coalesce((SELECT string_agg(s.rolname::text, ', ' ORDER BY s.rolname::text) FROM pg_roles s"
    "   WHERE s.rolsuper AND s.oid <> r.oid AND pg_has_role(r.oid, s.oid, 'MEMBER')), ''),"
    " coalesce((SELECT string_agg(g.rolname::text, ', ' ORDER BY g.rolname::text) FROM pg_roles g"
    "   WHERE g.rolname IN ('pg_execute_server_program', 'pg_read_server_files',"
    "                       'pg_write_server_files', 'pg_signal_backend')"
    "     AND pg_has_role(r.oid, g.oid, 'MEMBER')), ''),"
    " coalesce((SELECT string_agg(DISTINCT p.proname::text, ', ' ORDER BY p.proname::text) FROM pg_proc p"
    "   WHERE p.pronamespace = 'pg_catalog'::regnamespace"
    "     AND p.proname IN ('pg_read_file', 'pg_read_binary_file', 'pg_ls_dir',"
    "                       'pg_stat_file', 'pg_reload_conf', 'pg_rotate_logfile',"
    "                       'lo_import', 'lo_export')"
    "     AND has_function_privilege(r.oid, p.oid, 'EXECUTE')), '')"
    " FROM pg_roles r WHERE r.rolname = current_user";
  std::string out;
  auto err = run("privilege check", 0, [&](pqxx::nontransaction& tx) -> caf::error {
    auto r = tx.exec(sql);
    if (r.empty())
      return make_error(ec::unspecified, "privilege check on " + target_
                                           + ": current_user is not in pg_roles");
    std::string role = r[0][0].c_str();
    if (r[0][1].as<bool>())
      out = "connects as role '" + role + "', a superuser";
    else if (auto s = std::string{r[0][2].c_str()}; !s.empty())
      out = "connects as role '" + role + "', a member of the superuser role(s) " + s;
    else if (auto m = std::string{r[0][3].c_str()}; !m.empty())
      out = "connects as role '" + role + "', a member of " + m;
    else if (auto f = std::string{r[0][4].c_str()}; !f.empty())
      out = "connects as role '" + role + "', which may execute " + f;
    return {};
  });
  if (err)
    return err;
  return out;
}

} // namespace almanac::connectors
