#include "actors/lineage/store/query_ingest.hpp"

#include "messages/time.hpp"
#include "actors/lineage/sql/analysis_cache.hpp"
#include "actors/lineage/sql/sql_analysis.hpp"
#include "actors/lineage/domain/lineage_keys.hpp"
#include "messages/error.hpp"
#include "messages/event_types.hpp"
#include "messages/text.hpp"
#include "messages/urn.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <exception>
#include <system_error>
#include <thread>

namespace almanac::lineage {

using nlohmann::json;

namespace {

bool has_entity(const catalog::catalog_projection* cat, const std::string& urn) {
  if (!cat || urn.empty())
    return false;
  auto e = cat->entity(urn);
  return e && *e;
}

// Columns of catalog tables, in ordinal order, for `*` expansion.
class catalog_columns : public schema_provider {
public:
  catalog_columns(const catalog::catalog_projection* cat, const name_context& ctx)
    : cat_(cat), ctx_(ctx) {
  }

  std::optional<std::vector<std::string>>
  columns(const std::string& qualified) const override {
    if (!cat_)
      return std::nullopt;
    auto name = resolve_name(ctx_, qualified);
    for (bool view : {false, true}) {
      auto urn = table_urn(name, view);
      auto kids = cat_->children(urn);
      if (!kids || kids->empty())
        continue;
      std::vector<std::pair<int, std::string>> cols;
      for (auto& k : *kids)
        if (auto e = cat_->entity(k); e && *e)
          cols.emplace_back((**e).value("attributes", json::object()).value("ordinal", 0),
                            (**e).value("name", ""));
      std::sort(cols.begin(), cols.end());
      std::vector<std::string> out;
      for (auto& c : cols)
        out.push_back(c.second);
      return out;
    }
    return std::nullopt;
  }

private:
  const catalog::catalog_projection* cat_;
  const name_context& ctx_;
};

} // namespace

name_context query_context(const json& entry, const catalog::catalog_projection* cat) {
  name_context ctx;
  ctx.source = entry.value("source", std::string{});
  ctx.user = entry.value("user", std::string{});
  json conn = json::object();
  if (cat)
    if (auto u = catalog::make_urn(catalog::entity_kind::source, {ctx.source}))
      if (auto e = cat->entity(*u); e && *e)
        conn = (**e).value("attributes", json::object()).value("connection", json::object());
  if (!conn.is_object())
    conn = json::object();
  ctx.database = entry.value("database", std::string{});
  if (ctx.database.empty())
    ctx.database = conn.value("database", std::string{});
  if (ctx.database.empty())
    ctx.database = dsn_database(conn.value("dsn", std::string{}));
  auto path = entry.value("search_path", std::string{});
  if (path.empty())
    path = conn.value("search_path", std::string{});
  if (auto parsed = parse_search_path(path); !parsed.empty())
    ctx.search_path = std::move(parsed);
  if (cat) {
    ctx.source_of = [cat](const std::string& db) -> std::string {
      if (auto u = catalog::make_urn(catalog::entity_kind::source, {db}); u && has_entity(cat, *u))
        return db;
      // The one source whose database (its setting, else its dsn's
      // dbname) is db; none if several are (which one is unknowable).
      auto urns = cat->list("urn:almanac:source:", 10000);
      if (!urns)
        return {};
      std::string found;
      for (auto& u : *urns) {
        auto e = cat->entity(u);
        if (!e || !*e)
          continue;
        auto c = (**e).value("attributes", json::object()).value("connection", json::object());
        if (!c.is_object())
          continue;
        auto database = c.value("database", std::string{});
        if (database.empty())
          database = dsn_database(c.value("dsn", std::string{}));
        if (database == db) {
          if (!found.empty())
            return {};
          found = (**e).value("name", std::string{});
        }
      }
      return found;
    };
    ctx.exists = [cat](const std::string& source, const std::string& schema,
                       const std::string& relation) {
      resolved_name n{source, schema, relation, true};
      return has_entity(cat, table_urn(n, false)) || has_entity(cat, table_urn(n, true));
    };
  }
  return ctx;
}

namespace {

ev::query_observed analyze_in(const json& entry, const std::string& origin,
                              const catalog::catalog_projection* cat, const analysis* pre,
                              analysis_cache* cache) {
  auto source = entry.value("source", std::string{});
  auto sql = entry.value("sql", std::string{});
  // Names resolve in the query's context (its database, search_path and
  // source), so the analysis leaves one-part names as written.
  auto ctx = query_context(entry, cat);
  catalog_columns cols{cat, ctx};
  std::shared_ptr<const analysis> shared;
  analysis fresh;
  if (!pre && cache)
    shared = cache->lookup(sql, &cols, "");
  else if (!pre)
    fresh = analyze(sql, &cols, "");
  const analysis& a = pre ? *pre : shared ? *shared : fresh;
  std::map<std::string, std::string> urns; // qualified name -> URN
  std::vector<std::string> unresolved;
  auto urn = [&](const std::string& q) {
    auto i = urns.find(q);
    if (i != urns.end())
      return i->second;
    auto name = resolve_name(ctx, q);
    if (!name.resolved)
      unresolved.push_back(q);
    // A view: registered as one, or one the statement names as a view
    // (CREATE, ALTER, DROP [MATERIALIZED] VIEW).
    auto view = has_entity(cat, table_urn(name, true))
                || std::find(a.views.begin(), a.views.end(), q) != a.views.end();
    return urns[q] = table_urn(name, view);
  };
  auto col = [&](const column_ref& c) { return column_urn(urn(c.table), c.column); };
  ev::query_observed q;
  q.origin = origin;
  q.source = source;
  q.database = entry.value("database", "");
  q.search_path = entry.value("search_path", "");
  q.user = entry.value("user", "");
  q.sql = sql;
  q.start_time = entry.value("start_time", "");
  q.start_ms = entry.value("start_ms", int64_t{0});
  q.duration_ms = entry.value("duration_ms", 0.0);
  q.calls = entry.value("calls", uint64_t{1});
  q.kind = to_string(a.kind);
  q.normalized = a.normalized;
  q.parse_error = a.parse_error;
  q.execution_id = execution_id(json{{"source", q.source}, {"user", q.user},
                                     {"start_time", q.start_time}, {"sql", q.sql},
                                     {"origin", q.origin}});
  q.fingerprint = a.fingerprint;
  if (q.fingerprint.empty())
    q.fingerprint = "err-" + execution_id(json{{"sql", sql}});
  // Two spellings of one relation ("t", "public.t") are one URN.
  auto add_once = [](std::vector<std::string>& v, std::string x) {
    if (std::find(v.begin(), v.end(), x) == v.end())
      v.push_back(std::move(x));
  };
  for (auto& t : a.tables_read)
    add_once(q.tables_read, urn(t));
  for (auto& t : a.tables_written)
    add_once(q.tables_written, urn(t));
  for (auto& [t, cs] : a.columns_read)
    for (auto& c : cs)
      q.columns_read.push_back(column_urn(urn(t), c));
  for (auto& c : a.columns_written)
    q.columns_written.push_back(col(c));
  for (auto& c : a.filter_columns)
    q.filters.push_back(col(c));
  for (auto& j : a.joins) {
    ev::join_columns out{urn(j.left), urn(j.right), {}};
    for (auto& [l, r] : j.columns)
      out.columns.emplace_back(l, r);
    q.joins.push_back(std::move(out));
  }
  for (auto& e : a.table_lineage)
    q.table_lineage.push_back({urn(e.from), urn(e.to)});
  for (auto& e : a.column_lineage) {
    ev::column_edge out{col(e.target), {}};
    for (auto& s : e.sources)
      out.sources.push_back(col(s));
    q.column_lineage.push_back(std::move(out));
  }
  for (auto& o : a.outputs) {
    ev::output_column out{o.name, {}};
    for (auto& s : o.sources)
      out.sources.push_back(col(s));
    q.outputs.push_back(std::move(out));
  }
  std::sort(unresolved.begin(), unresolved.end());
  unresolved.erase(std::unique(unresolved.begin(), unresolved.end()), unresolved.end());
  q.unresolved_tables = std::move(unresolved);
  return q;
}

} // namespace

ev::query_observed analyze_query(const json& entry, const std::string& origin,
                                 const catalog::catalog_projection* cat, const analysis* pre) {
  return analyze_in(entry, origin, cat, pre, nullptr);
}

ev::query_observed analyze_query(const json& entry, const std::string& origin,
                                 const catalog::catalog_projection* cat, analysis_cache& cache) {
  return analyze_in(entry, origin, cat, nullptr, &cache);
}

event_input observe_query(const json& entry, const std::string& origin,
                          const catalog::catalog_projection* cat, const analysis* pre) {
  auto q = analyze_query(entry, origin, cat, pre);
  return ev::to_event(q, "query:" + q.fingerprint);
}

event_input observe_query(const json& entry, const std::string& origin,
                          const catalog::catalog_projection* cat, analysis_cache& cache) {
  auto q = analyze_query(entry, origin, cat, cache);
  return ev::to_event(q, "query:" + q.fingerprint);
}

std::vector<event_input> observe_all(const std::vector<json>& entries, const std::string& origin,
                                     const catalog::catalog_projection* cat,
                                     analysis_cache& cache, unsigned threads) {
  if (threads == 0)
    threads = std::max(1u, std::thread::hardware_concurrency());
  // A thread is worth starting for a few hundred queries.
  threads = static_cast<unsigned>(std::min<size_t>(threads, entries.size() / 256 + 1));
  std::vector<event_input> out(entries.size());
  // An exception on a helper thread is rethrown here, as on one thread.
  std::vector<std::exception_ptr> failed(threads);
  auto run = [&](unsigned t, size_t from, size_t to) {
    try {
      for (size_t i = from; i < to; ++i)
        out[i] = observe_query(entries[i], origin, cat, cache);
    } catch (...) {
      failed[t] = std::current_exception();
    }
  };
  std::vector<std::thread> helpers;
  size_t per = (entries.size() + threads - 1) / std::max(1u, threads);
  // Shares whose thread cannot start are the caller's.
  unsigned started = 1;
  for (; started < threads; ++started) {
    try {
      helpers.emplace_back(run, started, std::min(entries.size(), started * per),
                           std::min(entries.size(), (started + 1) * per));
    } catch (const std::system_error&) {
      break;
    }
  }
  run(0, 0, std::min(entries.size(), per));
  if (started < threads && !failed[0])
    run(0, std::min(entries.size(), started * per), entries.size());
  for (auto& h : helpers)
    h.join();
  for (auto& e : failed)
    if (e)
      std::rethrow_exception(e);
  return out;
}

caf::expected<std::vector<json>> parse_query_lines(const std::string& body,
                                                   const std::string& default_source) {
  static const std::set<std::string> known{"sql", "user", "database", "search_path",
                                           "source", "start_time", "duration_ms", "calls"};
  std::vector<json> out;
  std::stringstream ss{body};
  std::string line;
  size_t n = 0;
  while (std::getline(ss, line)) {
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos)
      continue;
    auto where = "line " + std::to_string(n) + ": ";
    auto j = json::parse(line, nullptr, false);
    if (!j.is_object())
      return make_error(ec::bad_request, where + "not a JSON object");
    for (auto& [k, v] : j.items())
      if (!known.count(k))
        return make_error(ec::bad_request, where + "unknown field '" + k + "'");
    if (!j.contains("sql") || !j["sql"].is_string() || j["sql"].get<std::string>().empty())
      return make_error(ec::bad_request, where + "missing required string field 'sql'");
    for (auto key : {"user", "database", "search_path", "source", "start_time"})
      if (j.contains(key) && !j[key].is_string())
        return make_error(ec::bad_request, where + "field '" + key + "' must be a string");
    if (j.contains("duration_ms") && !j["duration_ms"].is_number())
      return make_error(ec::bad_request, where + "field 'duration_ms' must be a number");
    if (j.contains("calls") && !j["calls"].is_number_unsigned())
      return make_error(ec::bad_request, where + "field 'calls' must be a positive integer");
    if (!j.contains("source")) {
      if (default_source.empty())
        return make_error(ec::bad_request, where + "missing required field 'source'");
      j["source"] = default_source;
    }
    if (j.contains("start_time")) {
      auto ms = parse_iso_time(j["start_time"].get<std::string>());
      if (!ms)
        return make_error(ec::bad_request, where + "start_time must be ISO-8601, not '"
                                             + j["start_time"].get<std::string>() + "'");
      j["start_ms"] = *ms;
    }
    out.push_back(std::move(j));
  }
  if (out.empty())
    return make_error(ec::bad_request, "the body holds no query (one JSON object per line)");
  return out;
}

namespace {

// Splits one CSV record starting at `pos` (RFC 4180: quoted fields may hold
// commas, doubled quotes and newlines); advances `pos` past it.
bool csv_record(const std::string& text, size_t& pos, std::vector<std::string>& fields) {
  fields.clear();
  std::string cur;
  bool quoted = false;
  bool any = false;
  while (pos < text.size()) {
    char c = text[pos++];
    any = true;
    if (quoted) {
      if (c == '"') {
        if (pos < text.size() && text[pos] == '"') {
          cur += '"';
          ++pos;
        } else {
          quoted = false;
        }
      } else {
        cur += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.push_back(std::move(cur));
      cur.clear();
    } else if (c == '\n') {
      break;
    } else if (c != '\r') {
      cur += c;
    }
  }
  if (!any)
    return false;
  fields.push_back(std::move(cur));
  return !quoted;
}

// "duration: 1.234 ms  statement: SELECT ..." -> (sql, duration)
std::optional<std::pair<std::string, double>> statement_of(const std::string& message) {
  double duration = 0;
  std::string m = message;
  if (m.rfind("duration: ", 0) == 0) {
    auto ms = m.find(" ms");
    if (ms == std::string::npos)
      return std::nullopt;
    try {
      duration = std::stod(m.substr(10, ms - 10));
    } catch (...) {
      return std::nullopt;
    }
    m = m.substr(ms + 3);
    while (!m.empty() && m.front() == ' ')
      m.erase(0, 1);
  }
  for (std::string tag : {"statement: ", "execute "}) {
    if (m.rfind(tag, 0) != 0)
      continue;
    auto body = m.substr(tag.size());
    if (tag == "execute ") {
      auto colon = body.find(": ");
      if (colon == std::string::npos)
        return std::nullopt;
      body = body.substr(colon + 2);
    }
    return std::make_pair(body, duration);
  }
  return std::nullopt;
}

} // namespace

caf::expected<std::vector<json>> parse_pg_log(const std::string& body,
                                              const std::string& format,
                                              const std::string& source) {
  if (source.empty())
    return make_error(ec::bad_request, "query parameter source is required for a server log");
  std::vector<json> out;
  // The search_path each session set (server logs say it when the session
  // ran SET search_path); its later statements resolve names with it.
  std::map<std::string, std::string> session_path;
  auto add = [&](const std::string& time, const std::string& user, const std::string& db,
                 const std::string& session, const std::string& message) {
    auto st = statement_of(message);
    if (!st)
      return;
    json e{{"sql", st->first}, {"user", user}, {"database", db}, {"source", source},
           {"duration_ms", st->second}};
    if (!session.empty()) {
      // Statement by statement: the entry resolves with the path in force
      // at its first statement that is not a SET.
      std::optional<std::string> path;
      if (auto i = session_path.find(session); i != session_path.end())
        path = i->second;
      std::optional<std::optional<std::string>> at_first_other;
      // Parsed again only if it can change the path (the analysis parses
      // every statement once already).
      auto text = lower(st->first);
      bool may_set = text.find("search_path") != std::string::npos
                     || text.find("reset") != std::string::npos
                     || text.find("discard") != std::string::npos;
      auto changes = may_set ? search_path_changes(st->first)
                             : std::vector<std::optional<std::string>>{};
      for (auto& change : changes) {
        if (!change) {
          if (!at_first_other)
            at_first_other = path;
        } else if (change->empty()) {
          path.reset();
        } else {
          path = *change;
        }
      }
      if (changes.empty())
        at_first_other = path; // no SET, or unparsable: as it stands
      if (path)
        session_path[session] = *path;
      else
        session_path.erase(session);
      if (at_first_other && *at_first_other)
        e["search_path"] = **at_first_other;
    }
    // "2026-11-01 10:00:00.123 UTC" -> ISO-8601
    auto t = time;
    if (t.size() >= 19 && t[10] == ' ')
      t[10] = 'T';
    if (t.size() > 4 && t.compare(t.size() - 4, 4, " UTC") == 0)
      t = t.substr(0, t.size() - 4) + "Z";
    if (auto ms = parse_iso_time(t)) {
      e["start_time"] = iso_time(*ms);
      e["start_ms"] = *ms;
    }
    out.push_back(std::move(e));
  };
  if (format == "csvlog") {
    size_t pos = 0;
    size_t n = 0;
    std::vector<std::string> f;
    while (pos < body.size()) {
      ++n;
      if (!csv_record(body, pos, f))
        return make_error(ec::bad_request, "csvlog record " + std::to_string(n)
                                             + ": unterminated quoted field");
      if (f.size() == 1 && f[0].empty())
        continue;
      if (f.size() < 14)
        return make_error(ec::bad_request, "csvlog record " + std::to_string(n) + ": "
                                             + std::to_string(f.size())
                                             + " fields, expected at least 14");
      // log_time, user_name, database_name, process_id, connection_from,
      // session_id, ..., message (14th)
      add(f[0], f[1], f[2], f[5], f[13]);
    }
  } else if (format == "jsonlog") {
    std::stringstream ss{body};
    std::string line;
    size_t n = 0;
    while (std::getline(ss, line)) {
      ++n;
      if (line.find_first_not_of(" \t\r") == std::string::npos)
        continue;
      auto j = json::parse(line, nullptr, false);
      if (!j.is_object())
        return make_error(ec::bad_request, "jsonlog line " + std::to_string(n) + ": not a JSON object");
      add(j.value("timestamp", ""), j.value("user", ""), j.value("dbname", ""),
          j.value("session_id", ""), j.value("message", ""));
    }
  } else {
    return make_error(ec::invalid_argument, "format must be jsonlines, csvlog or jsonlog");
  }
  return out;
}

} // namespace almanac::lineage
