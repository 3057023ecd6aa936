// extract_bench: metadata extraction from a generated PostgreSQL source, against
// the cost floor of reading the same metadata with plain catalog queries, in
// the same run on the same server.
//
//   0. Generates the source: schema `gen` with --tables N tables of --columns M
//      columns (int primary key, then a cycle of common types, some NOT NULL,
//      some with defaults), a comment on every 10th table and on the second
//      column of every 5th, a foreign key on every 50th table, then ANALYZE.
//      Created in transactions of 500 tables, each one multi-statement exec.
//   1. Connector alone: almanac::connectors::connect() + extract() over TCP
//      with the password, as the node does (best of --repeat runs).
//   2. End to end: a child almanacd (fresh temp data dir), the source
//      registered through POST /api/v1/sources, then POST .../extract and
//      GET /api/v1/jobs/{id} polled until the job succeeds: a full run into
//      an empty catalog; then a wait until every projection (catalog_state...)
//      has applied it (GET /api/v1/admin/projections; --no-settle skips it);
//      then --repeat incremental runs with nothing changed (each must report
//      events 0).
//   3. Baseline (the cost floor): the same metadata read with plain catalog
//      queries through libpqxx over the same TCP connection kind: schemas,
//      one row per column joined with its relation (types, nullability,
//      defaults, comments), and primary/foreign keys; every field touched.
//      For reference, also the same columns through information_schema.
//
// Needs a PostgreSQL (scripts/pg-test provides one):
//   PGTEST_PAGILA=0 scripts/pg-test run -- build/benchmarks/extract_bench
// Environment: PGTEST_DSN (a superuser DSN, to generate the schema),
// PGTEST_TCP_DSN and PGTEST_PASSWORD (the role the connector and node use).
//
// usage: extract_bench [--tables N] [--columns M] [--quick] [--repeat R]
//                      [--almanacd PATH] [--dir DIR] [--keep] [--no-generate]
//                      [--no-settle]
// The last line is machine-readable.

#include "api_bench_http.hpp"

#include "connectors/connector.hpp"

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

using api_bench::http_conn;
using clock_type = std::chrono::steady_clock;
using nlohmann::json;

namespace {

constexpr const char* token = "extract-bench-token";
constexpr const char* schema = "gen";

struct config {
  std::string almanacd = "build/runtime/almanacd";
  std::string dir;
  int tables = 10000;
  int columns = 20;
  int repeat = 2;
  bool quick = false;
  bool keep = false;
  bool generate = true;
  bool settle = true; // wait for the projections before the incremental runs
  std::string su_dsn;   // generation
  std::string tcp_dsn;  // connector, node, baseline
  std::string password;
};

/// The node under test, if running: fail() stops it (exit() does not unwind).
std::unique_ptr<api_bench::node> the_node;

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "extract_bench: %s\n", what.c_str());
  the_node.reset();
  std::exit(1);
}

std::string secs(double s) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.3f", s);
  return buf;
}

double since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

std::string env_or(const char* name, const std::string& fallback = {}) {
  const char* v = std::getenv(name);
  return v ? std::string{v} : fallback;
}

// -- 0. the generated source ---------------------------------------------------

/// Column types after the int primary key, cycled, each with a default that fits.
struct column_kind {
  const char* type;
  const char* default_value;
};
constexpr column_kind column_kinds[] = {
  {"text", "''"},
  {"integer", "0"},
  {"character varying(64)", "'n/a'"},
  {"numeric(12,2)", "0.00"},
  {"timestamp with time zone", "now()"},
  {"boolean", "false"},
  {"bigint", "0"},
  {"date", "CURRENT_DATE"},
  {"jsonb", "'{}'::jsonb"},
  {"double precision", "1.5"},
  {"uuid", "gen_random_uuid()"},
  {"smallint", "1"},
};

std::string table_name(int i) {
  return "t_" + std::to_string(i);
}

/// Column 1 is the int primary key; column c >= 2 has column_kinds[c - 2]
/// cycled, NOT NULL when c == 2 or c % 4 == 0, a default when c % 3 == 0.
/// Every 50th table has a foreign key (c3, an integer) to the previous table;
/// every 10th a table comment, every 5th a comment on c2.
std::string create_table_sql(int i, int columns) {
  constexpr size_t kinds = sizeof(column_kinds) / sizeof(column_kinds[0]);
  std::string s = "CREATE TABLE gen." + table_name(i) + " (c1 integer PRIMARY KEY";
  for (int c = 2; c <= columns; ++c) {
    const auto& k = column_kinds[static_cast<size_t>(c - 2) % kinds];
    s += ", c" + std::to_string(c) + ' ' + k.type;
    if (c == 2 || c % 4 == 0)
      s += " NOT NULL";
    if (c % 3 == 0)
      s += std::string{" DEFAULT "} + k.default_value;
  }
  if (i % 50 == 0 && i > 0 && columns >= 3)
    s += ", CONSTRAINT fk_" + table_name(i) + "_prev FOREIGN KEY (c3) REFERENCES gen."
         + table_name(i - 1) + " (c1)";
  s += ");\n";
  if (i % 10 == 0)
    s += "COMMENT ON TABLE gen." + table_name(i) + " IS 'Generated table " + std::to_string(i)
         + ", one row per synthetic event.';\n";
  if (i % 5 == 0 && columns >= 2)
    s += "COMMENT ON COLUMN gen." + table_name(i) + ".c2 IS 'The event''s label.';\n";
  return s;
}

void generate(const config& cfg) {
  auto t0 = clock_type::now();
  pqxx::connection c{cfg.su_dsn};
  {
    pqxx::work w{c};
    w.exec(std::string{"DROP SCHEMA IF EXISTS "} + schema + " CASCADE");
    w.exec(std::string{"CREATE SCHEMA "} + schema);
    w.exec(std::string{"COMMENT ON SCHEMA "} + schema
           + " IS 'Generated by extract_bench'");
    w.commit();
  }
  constexpr int batch = 500;
  for (int first = 0; first < cfg.tables; first += batch) {
    std::string sql;
    sql.reserve(static_cast<size_t>(batch) * (60 + 40 * cfg.columns));
    for (int i = first; i < std::min(cfg.tables, first + batch); ++i)
      sql += create_table_sql(i, cfg.columns);
    pqxx::work w{c};
    w.exec(sql);
    w.commit();
  }
  pqxx::nontransaction{c}.exec(std::string{"ANALYZE"});
  std::printf("generated %d tables x %d columns in schema %s in %.1f s\n",
              cfg.tables, cfg.columns, schema, since(t0));
}

// -- 1. the connector alone ------------------------------------------------------

struct connector_run {
  double seconds = 0;
  uint64_t schemas = 0, tables = 0, columns = 0, keys = 0;
  uint64_t objects() const {
    return schemas + tables + columns;
  }
};

connector_run run_connector(const config& cfg) {
  almanac::connectors::source_config sc;
  sc.name = "gen";
  sc.kind = "postgresql";
  sc.dsn = cfg.tcp_dsn;
  sc.password = cfg.password;
  std::atomic<bool> cancel{false};
  connector_run r;
  auto t0 = clock_type::now();
  auto conn = almanac::connectors::connect(sc);
  if (!conn)
    fail("connect: " + caf::to_string(conn.error()));
  auto snap = (*conn)->extract({}, nullptr, cancel);
  if (!snap)
    fail("extract: " + caf::to_string(snap.error()));
  r.seconds = since(t0);
  r.schemas = snap->schemas.size();
  r.tables = snap->tables.size();
  for (auto& t : snap->tables) {
    r.columns += t.columns.size();
    r.keys += t.foreign_keys.size() + (t.primary_key.empty() ? 0 : 1);
  }
  return r;
}

// -- 3. the baseline: plain catalog queries -----------------------------------

struct baseline_run {
  double seconds = 0;
  uint64_t rows = 0;
  uint64_t bytes = 0; // every field's length, so that nothing is skipped
};

uint64_t touch(const pqxx::result& res, uint64_t& bytes) {
  for (const auto& row : res)
    for (const auto& f : row)
      bytes += f.is_null() ? 0 : f.size();
  return res.size();
}

constexpr const char* baseline_schemas = R"(
SELECT n.nspname, obj_description(n.oid, 'pg_namespace')
  FROM pg_namespace n
 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp\_%')";

// One row per column, with its relation's fields.
constexpr const char* baseline_columns = R"(
SELECT n.nspname, c.relname, c.relkind, c.reltuples, td.description,
       a.attnum, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
       pg_get_expr(ad.adbin, ad.adrelid), cd.description
  FROM pg_attribute a
  JOIN pg_class c ON c.oid = a.attrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
  LEFT JOIN pg_description td
    ON td.objoid = c.oid AND td.classoid = 'pg_class'::regclass AND td.objsubid = 0
  LEFT JOIN pg_description cd
    ON cd.objoid = c.oid AND cd.classoid = 'pg_class'::regclass AND cd.objsubid = a.attnum
 WHERE a.attnum > 0 AND NOT a.attisdropped
   AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
   AND n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp\_%')";

constexpr const char* baseline_keys = R"(
SELECT con.conrelid::regclass::text, con.contype, con.conname, con.conkey,
       con.confrelid::regclass::text, con.confkey
  FROM pg_constraint con
  JOIN pg_class c ON c.oid = con.conrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE con.contype IN ('p', 'f')
   AND n.nspname NOT IN ('pg_catalog', 'information_schema'))";

// The same columns through the SQL-standard views, for reference.
constexpr const char* baseline_infoschema = R"(
SELECT c.table_schema, c.table_name, c.ordinal_position, c.column_name,
       c.data_type, c.character_maximum_length, c.numeric_precision,
       c.is_nullable, c.column_default
  FROM information_schema.columns c
 WHERE c.table_schema NOT IN ('pg_catalog', 'information_schema'))";

std::string tcp_conninfo(const config& cfg) {
  std::string pw;
  for (char ch : cfg.password) {
    if (ch == '\'' || ch == '\\')
      pw += '\\';
    pw += ch;
  }
  return cfg.tcp_dsn + " password='" + pw + "'";
}

/// Connects like the connector does and runs `queries` in one read-only
/// transaction, fetching and touching every field.
baseline_run run_queries(const config& cfg, std::initializer_list<const char*> queries) {
  baseline_run r;
  auto t0 = clock_type::now();
  pqxx::connection c{tcp_conninfo(cfg)};
  pqxx::read_transaction tx{c};
  for (auto* q : queries)
    r.rows += touch(tx.exec(q), r.bytes);
  tx.commit();
  r.seconds = since(t0);
  return r;
}

// -- 2. end to end through a node -------------------------------------------------

struct node_run {
  double seconds = 0;        // POST extract until the poll sees "succeeded"
  double server_seconds = 0; // the job's started_ms .. finished_ms
  json result;
};

node_run run_node_extract(http_conn& c) {
  std::string body;
  node_run r;
  auto t0 = clock_type::now();
  int st = c.request("POST", "/api/v1/sources/gen/extract", "", body);
  if (st != 202)
    fail("POST /api/v1/sources/gen/extract: " + std::to_string(st) + " " + body);
  auto id = json::parse(body).at("job");
  std::string path = "/api/v1/jobs/" + (id.is_string() ? id.get<std::string>() : id.dump());
  auto deadline = t0 + std::chrono::minutes(30);
  for (;;) {
    st = c.request("GET", path, "", body);
    if (st != 200)
      fail("GET " + path + ": " + std::to_string(st) + " " + body);
    auto j = json::parse(body, nullptr, false);
    auto state = j.value("state", std::string{});
    if (state == "succeeded") {
      r.seconds = since(t0);
      r.result = j.value("result", json::object());
      if (j.contains("started_ms") && j.contains("finished_ms"))
        r.server_seconds =
          (j["finished_ms"].get<int64_t>() - j["started_ms"].get<int64_t>()) / 1000.0;
      return r;
    }
    if (state == "failed" || state == "cancelled")
      fail("extraction job " + state + ": " + body);
    if (clock_type::now() > deadline)
      fail("extraction job still " + state + " after 30 minutes");
    // Poll often enough that the poll interval is noise next to the run.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

/// Waits until every projection has applied the log up to `end` (exclusive);
/// returns the seconds waited.
double wait_projections(http_conn& c, uint64_t end,
                        std::map<std::string, double>* caught_up = nullptr) {
  std::string body;
  auto t0 = clock_type::now();
  auto deadline = t0 + std::chrono::minutes(30);
  for (;;) {
    int st = c.request("GET", "/api/v1/admin/projections", "", body);
    if (st != 200)
      fail("GET /api/v1/admin/projections: " + std::to_string(st) + " " + body);
    auto j = json::parse(body, nullptr, false);
    bool done = j.contains("projections") && j["projections"].is_array();
    if (done)
      for (auto& p : j["projections"]) {
        if (p.value("checkpoint", uint64_t{0}) < end)
          done = false;
        else if (caught_up && !caught_up->count(p.value("name", std::string{"?"})))
          (*caught_up)[p.value("name", std::string{"?"})] = since(t0);
      }
    if (done)
      return since(t0);
    if (clock_type::now() > deadline)
      fail("projections still behind after 30 minutes: " + body);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::string json_quote(const std::string& s) {
  return json(s).dump();
}

// -- output -------------------------------------------------------------------------

void row(const char* what, double seconds, uint64_t items, const char* unit,
         const std::string& note = {}) {
  std::printf("%-34s %9.3f s %12llu %-8s %12.0f %s/s  %s\n", what, seconds,
              static_cast<unsigned long long>(items), unit,
              seconds > 0 ? static_cast<double>(items) / seconds : 0.0, unit,
              note.c_str());
}

} // namespace

int main(int argc, char** argv) {
  config cfg;
  bool tables_given = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--quick") {
      cfg.quick = true;
    } else if (arg == "--keep") {
      cfg.keep = true;
    } else if (arg == "--no-settle") {
      cfg.settle = false;
    } else if (arg == "--no-generate") {
      cfg.generate = false;
    } else if (arg == "--almanacd" && i + 1 < argc) {
      cfg.almanacd = argv[++i];
    } else if (arg == "--dir" && i + 1 < argc) {
      cfg.dir = argv[++i];
    } else if (arg == "--tables" && i + 1 < argc) {
      cfg.tables = std::max(1, std::atoi(argv[++i]));
      tables_given = true;
    } else if (arg == "--columns" && i + 1 < argc) {
      cfg.columns = std::max(1, std::atoi(argv[++i]));
    } else if (arg == "--repeat" && i + 1 < argc) {
      cfg.repeat = std::max(1, std::atoi(argv[++i]));
    } else {
      std::fprintf(stderr,
                   "usage: extract_bench [--tables N] [--columns M] [--quick] "
                   "[--repeat R] [--almanacd PATH] [--dir DIR] [--keep] "
                   "[--no-generate] [--no-settle]\n"
                   "needs PGTEST_DSN, PGTEST_TCP_DSN, PGTEST_PASSWORD "
                   "(run under scripts/pg-test run --)\n");
      return 2;
    }
  }
  if (cfg.quick && !tables_given)
    cfg.tables = 1000;
  cfg.su_dsn = env_or("PGTEST_DSN");
  cfg.tcp_dsn = env_or("PGTEST_TCP_DSN");
  cfg.password = env_or("PGTEST_PASSWORD");
  if (cfg.su_dsn.empty() || cfg.tcp_dsn.empty())
    fail("PGTEST_DSN and PGTEST_TCP_DSN must be set "
         "(PGTEST_PAGILA=0 scripts/pg-test run -- build/benchmarks/extract_bench)");
  if (::access(cfg.almanacd.c_str(), X_OK) != 0)
    fail("no almanacd at " + cfg.almanacd + " (give --almanacd PATH)");

  try {
    if (cfg.generate)
      generate(cfg);
  } catch (const std::exception& e) {
    fail(std::string{"generating the source: "} + e.what());
  }

  // 1 and 3, interleaved so that outside load falls on both alike; best of R.
  connector_run conn;
  baseline_run base, info;
  conn.seconds = base.seconds = info.seconds = 1e300;
  try {
    for (int k = 0; k < cfg.repeat; ++k) {
      auto b = run_queries(cfg, {baseline_schemas, baseline_columns, baseline_keys});
      if (b.seconds < base.seconds)
        base = b;
      auto c = run_connector(cfg);
      if (c.seconds < conn.seconds)
        conn = c;
    }
    info = run_queries(cfg, {baseline_infoschema});
  } catch (const std::exception& e) {
    fail(std::string{"baseline query: "} + e.what());
  }

  // 2: a node.
  namespace fs = std::filesystem;
  std::string dir = cfg.dir;
  if (dir.empty()) {
    char tmpl[] = "/tmp/extract_bench.XXXXXX";
    if (!::mkdtemp(tmpl))
      fail("cannot create a temp directory");
    dir = tmpl;
  }
  fs::create_directories(dir);
  std::string data_dir = dir + "/data";
  ::setenv("PGPW", cfg.password.c_str(), 1); // the child inherits it
  node_run full;
  std::vector<node_run> incr;
  uint64_t node_objects = 0;
  double settle_s = -1;
  std::map<std::string, double> caught_up; // projection -> s after the full run
  {
    the_node = std::make_unique<api_bench::node>(cfg.almanacd, data_dir, token);
    http_conn c(the_node->port(), token);
    std::string body;
    auto src = R"({"name":"gen","kind":"postgresql","dsn":)" + json_quote(cfg.tcp_dsn)
               + R"(,"password_env":"PGPW"})";
    int st = c.request("POST", "/api/v1/sources", src, body);
    if (st != 201)
      fail("POST /api/v1/sources: " + std::to_string(st) + " " + body);
    // The extract route looks the source up in the projected state, which
    // may not have applied the registration yet (it answers 404 then).
    wait_projections(c, json::parse(body).value("offset", uint64_t{0}) + 1);
    full = run_node_extract(c);
    node_objects = full.result.value("objects", uint64_t{0});
    if (cfg.settle)
      settle_s = wait_projections(c, full.result.value("offset", uint64_t{0}) + 1,
                                  &caught_up);
    for (int k = 0; k < cfg.repeat; ++k)
      incr.push_back(run_node_extract(c));
    the_node.reset();
  }
  if (!cfg.keep)
    fs::remove_all(dir);
  auto best_incr = *std::min_element(incr.begin(), incr.end(), [](auto& a, auto& b) {
    return a.seconds < b.seconds;
  });

  const uint64_t objects = conn.objects();
  std::printf("\nsource: %llu schemas, %llu tables, %llu columns (%llu objects), "
              "%llu keys; node counts %llu desired entities\n",
              static_cast<unsigned long long>(conn.schemas),
              static_cast<unsigned long long>(conn.tables),
              static_cast<unsigned long long>(conn.columns),
              static_cast<unsigned long long>(objects),
              static_cast<unsigned long long>(conn.keys),
              static_cast<unsigned long long>(node_objects));
  std::printf("%-34s %11s %12s %-8s %16s\n", "step", "time", "items", "", "rate");
  row("baseline: catalog queries (floor)", base.seconds, base.rows, "rows",
      "best of " + std::to_string(cfg.repeat) + ", "
        + std::to_string(base.bytes / 1024) + " KiB of fields");
  row("  information_schema.columns", info.seconds, info.rows, "rows", "reference only");
  row("connector: connect+extract", conn.seconds, objects, "objects",
      "best of " + std::to_string(cfg.repeat));
  row("node: full extraction", full.seconds, objects, "objects",
      "job " + secs(full.server_seconds) + " s; " + full.result.dump());
  if (settle_s >= 0)
    row("node: projections caught up", full.seconds + settle_s, objects, "objects",
        "full run + " + secs(settle_s) + " s until every projection applied it");
  for (auto& [name, s] : caught_up)
    std::printf("  %-32s %9.3f s after the full run\n", name.c_str(), s);
  if (settle_s < 0)
    std::printf("(--no-settle: the first incremental run started while the "
                "projections were still applying the full run)\n");
  for (size_t k = 0; k < incr.size(); ++k)
    row(("node: incremental, no change #" + std::to_string(k + 1)).c_str(),
        incr[k].seconds, objects, "objects",
        "job " + secs(incr[k].server_seconds) + " s; " + incr[k].result.dump());
  std::printf("connector/baseline %.2fx, node full/baseline %.2fx, "
              "node incremental/baseline %.2fx\n",
              conn.seconds / base.seconds, full.seconds / base.seconds,
              best_incr.seconds / base.seconds);

  bool ok = true;
  for (auto& r : incr)
    if (r.result.value("events", uint64_t{1}) != 0) {
      std::fprintf(stderr, "extract_bench: an incremental run with nothing changed "
                           "appended events: %s\n", r.result.dump().c_str());
      ok = false;
    }
  if (full.result.value("added", uint64_t{0}) == 0) {
    std::fprintf(stderr, "extract_bench: the full run added nothing: %s\n",
                 full.result.dump().c_str());
    ok = false;
  }

  std::printf("extract_bench: tables=%llu objects=%llu connector_s=%.3f "
              "node_full_s=%.3f node_incremental_s=%.3f baseline_s=%.3f "
              "full_vs_baseline=%.2f\n",
              static_cast<unsigned long long>(conn.tables),
              static_cast<unsigned long long>(objects), conn.seconds, full.seconds,
              best_incr.seconds, base.seconds, full.seconds / base.seconds);
  return ok ? 0 : 1;
}
