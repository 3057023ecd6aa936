// ingest_bench: query-log ingestion into the query store and lineage, against
// the raw parse rate of the same queries (the limit), in the same run.
//
//   0. Generates a query log (ingest_bench_log.hpp): a schema of 200 tables,
//      2,000 statement shapes drawn with a Zipf distribution and fresh
//      constants each time (SELECTs with joins, CTEs and subqueries, INSERT
//      ... SELECT, CREATE TABLE AS, UPDATE ... FROM, UPDATE/DELETE), 3% of
//      lines unparsable.
//   1. Raw parse (the limit): pg_query_parse + pg_query_free_parse_result of
//      every line, single-threaded (best of two passes, before and after).
//   2. Ingestion as the node does it (single-threaded, no catalog): for each
//      entry observe_query(entry, "upload", nullptr) (analysis + the
//      QueryObserved payload), then lineage_store::apply in batches of
//      --batch records into a fresh store (query store, executions, usage
//      index, popularity, lineage edges), committed to RocksDB per batch.
//      The time is split into observe and apply.
//   3. The same with an analysis_cache in front of the analysis
//      (ingest_bench_cached.hpp): observe_query takes no cache today, so this
//      measures what one would give.
//   4. For reference: analyze() alone, and pg_query_fingerprint alone (the
//      cost of a cache hit).
// Not measured: parsing the upload body (parse_query_lines) and appending to
// the event log.
//
// usage: ingest_bench [--quick] [--queries N] [--batch N] [--shapes N]
//                     [--tables N] [--cache N] [--dir DIR] [--keep]
// The last line is machine-readable.

#include "ingest_bench_cached.hpp"
#include "ingest_bench_log.hpp"

#include "actors/lineage/sql/analysis_cache.hpp"
#include "actors/lineage/sql/sql_analysis.hpp"
#include "actors/lineage/store/lineage_store.hpp"
#include "actors/lineage/store/query_ingest.hpp"
#include "messages/error.hpp"

#include <pg_query.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

using namespace almanac;
using clock_type = std::chrono::steady_clock;
using nlohmann::json;

namespace {

struct config {
  size_t queries = 100000;
  size_t batch = 1000;
  size_t shapes = 2000;
  size_t tables = 200;
  size_t cache = 10000;
  bool quick = false;
  bool keep = false;
  std::string dir;
};

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "ingest_bench: %s\n", what.c_str());
  std::exit(1);
}

double seconds_since(clock_type::time_point t) {
  return std::chrono::duration<double>(clock_type::now() - t).count();
}

config parse_args(int argc, char** argv) {
  config c;
  bool queries_set = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc)
        die("missing value for " + a);
      return argv[++i];
    };
    if (a == "--quick")
      c.quick = true;
    else if (a == "--queries")
      c.queries = std::stoul(value()), queries_set = true;
    else if (a == "--batch")
      c.batch = std::max<size_t>(1, std::stoul(value()));
    else if (a == "--shapes")
      c.shapes = std::max<size_t>(1, std::stoul(value()));
    else if (a == "--tables")
      c.tables = std::max<size_t>(10, std::stoul(value()));
    else if (a == "--cache")
      c.cache = std::stoul(value());
    else if (a == "--dir")
      c.dir = value();
    else if (a == "--keep")
      c.keep = true;
    else if (a == "--help" || a == "-h") {
      std::printf("usage: ingest_bench [--quick] [--queries N] [--batch N] [--shapes N] "
                  "[--tables N] [--cache N] [--dir DIR] [--keep]\n");
      std::exit(0);
    } else
      die("unknown argument " + a);
  }
  if (c.quick && !queries_set)
    c.queries = 10000;
  return c;
}

double raw_parse(const std::vector<std::string>& sql, size_t& failed) {
  failed = 0;
  auto t = clock_type::now();
  for (auto& s : sql) {
    auto r = pg_query_parse(s.c_str());
    failed += r.error != nullptr;
    pg_query_free_parse_result(r);
  }
  return sql.size() / seconds_since(t);
}

struct ingest_result {
  double per_s = 0;
  double observe_s = 0;
  double apply_s = 0;
  std::string status;
};

/// Ingests every entry into a fresh lineage_store at `dir` with `observe`.
template <class Observe>
ingest_result ingest(const ingest_bench::query_log& log, const std::string& dir, size_t batch,
                     Observe observe) {
  std::filesystem::remove_all(dir);
  lineage::lineage_store store{dir, 30.0};
  if (auto cp = store.open(); !cp)
    die("open " + dir + ": " + render(cp.error()));
  ingest_result r;
  std::vector<event_record> recs;
  recs.reserve(batch);
  uint64_t next = 0;
  auto t0 = clock_type::now();
  for (size_t i = 0; i < log.entries.size();) {
    recs.clear();
    auto t1 = clock_type::now();
    for (; i < log.entries.size() && recs.size() < batch; ++i) {
      auto ev = observe(log.entries[i]);
      event_record rec;
      rec.offset = next++;
      rec.epoch = 1;
      rec.timestamp_ms = log.entries[i]["start_ms"].get<int64_t>();
      rec.type = std::move(ev.type);
      rec.key = std::move(ev.key);
      rec.payload = std::move(ev.payload);
      recs.push_back(std::move(rec));
    }
    auto t2 = clock_type::now();
    if (auto err = store.apply(recs, next))
      die("apply: " + render(err));
    auto t3 = clock_type::now();
    r.observe_s += std::chrono::duration<double>(t2 - t1).count();
    r.apply_s += std::chrono::duration<double>(t3 - t2).count();
  }
  r.per_s = log.entries.size() / seconds_since(t0);
  r.status = store.status();
  return r;
}

} // namespace

int main(int argc, char** argv) {
  auto cfg = parse_args(argc, argv);
  bool own_dir = cfg.dir.empty();
  if (own_dir) {
    char tmpl[] = "/tmp/ingest_bench.XXXXXX";
    if (!mkdtemp(tmpl))
      die("mkdtemp failed");
    cfg.dir = tmpl;
  }
  std::filesystem::create_directories(cfg.dir);

  // 0. The log.
  auto t = clock_type::now();
  ingest_bench::log_options opt;
  opt.queries = cfg.queries;
  opt.shapes = cfg.shapes;
  opt.tables = cfg.tables;
  auto log = ingest_bench::generate(opt);
  size_t bytes = 0;
  for (auto& s : log.sql)
    bytes += s.size();
  std::printf("log: %zu queries (%zu tables, %zu shapes, zipf 1.0), mean %.0f bytes, "
              "generated in %.1f s\n",
              log.sql.size(), cfg.tables, cfg.shapes, double(bytes) / log.sql.size(),
              seconds_since(t));
  std::printf("  mix:");
  for (size_t k = 0; k < log.kind_counts.size(); ++k)
    std::printf(" %s=%.1f%%", ingest_bench::query_log::kind_names()[k].c_str(),
                100.0 * log.kind_counts[k] / log.sql.size());
  std::printf("\n");
  std::fflush(stdout);

  // 1. Raw parse (first pass, after a warm-up of the parser's allocations).
  size_t failed = 0;
  raw_parse({log.sql.begin(), log.sql.begin() + std::min<size_t>(log.sql.size(), 2000)}, failed);
  double raw1 = raw_parse(log.sql, failed);
  std::printf("raw pg_query_parse: %.0f queries/s (%zu did not parse)\n", raw1, failed);
  std::fflush(stdout);

  // 2. Ingestion as it is.
  auto plain = ingest(log, cfg.dir + "/plain", cfg.batch, [](const json& e) {
    return lineage::observe_query(e, "upload", nullptr);
  });
  std::printf("ingest (observe_query + lineage_store::apply, batches of %zu): %.0f queries/s\n"
              "  observe_query %.1f s (%.0f/s), apply %.1f s (%.0f/s)\n  store: %s\n",
              cfg.batch, plain.per_s, plain.observe_s, log.sql.size() / plain.observe_s,
              plain.apply_s, log.sql.size() / plain.apply_s, plain.status.c_str());
  std::fflush(stdout);

  // 3. With an analysis_cache in front of the analysis.
  lineage::analysis_cache cache{cfg.cache};
  auto cached = ingest(log, cfg.dir + "/cached", cfg.batch, [&](const json& e) {
    return ingest_bench::observe_query_cached(e, "upload", cache);
  });
  std::printf("ingest with analysis_cache(%zu) (not used by observe_query today): %.0f queries/s "
              "(hits %zu, misses %zu)\n"
              "  observe %.1f s (%.0f/s), apply %.1f s (%.0f/s)\n  store: %s\n",
              cfg.cache, cached.per_s, cache.hits(), cache.misses(), cached.observe_s,
              log.sql.size() / cached.observe_s, cached.apply_s,
              log.sql.size() / cached.apply_s, cached.status.c_str());
  // The cached payloads must equal observe_query's (but for "normalized").
  {
    lineage::analysis_cache check{cfg.cache};
    size_t n = std::min<size_t>(log.entries.size(), 3000), diff = 0, ctas = 0;
    for (size_t i = 0; i < n; ++i) {
      auto a = json::parse(lineage::observe_query(log.entries[i], "upload", nullptr).payload);
      auto b = json::parse(ingest_bench::observe_query_cached(log.entries[i], "upload", check).payload);
      a.erase("normalized");
      b.erase("normalized");
      if (a == b)
        continue;
      ++diff;
      if (log.sql[i].rfind("CREATE TABLE", 0) == 0)
        ++ctas;
      if (diff <= 2)
        std::printf("  cached payload differs (tables_written %s, not %s) for: %s\n",
                    b["tables_written"].dump().c_str(), a["tables_written"].dump().c_str(),
                    log.sql[i].c_str());
    }
    std::printf("  cached payloads equal to observe_query's (but normalized): %zu/%zu; "
                "%zu of the %zu that differ are CREATE TABLE AS into a dated name: "
                "pg_query_fingerprint ignores runs of digits in relation names, so the "
                "cache hands out the first statement's target table\n",
                n - diff, n, ctas, diff);
  }
  std::fflush(stdout);

  // 4. References: analyze() alone, fingerprint alone.
  {
    size_t n = std::min<size_t>(log.sql.size(), cfg.quick ? 5000 : 20000);
    auto t4 = clock_type::now();
    size_t edges = 0;
    for (size_t i = 0; i < n; ++i)
      edges += lineage::analyze(log.sql[i]).column_lineage.size();
    double analyze_rate = n / seconds_since(t4);
    t4 = clock_type::now();
    size_t empty = 0;
    for (size_t i = 0; i < n; ++i)
      empty += lineage::fingerprint(log.sql[i]).empty();
    double fp_rate = n / seconds_since(t4);
    std::printf("reference (first %zu queries): analyze() alone %.0f/s, "
                "pg_query_fingerprint alone %.0f/s\n",
                n, analyze_rate, fp_rate);
    (void)edges;
    (void)empty;
  }

  // 1'. Raw parse (second pass); the better of the two is the limit.
  double raw2 = raw_parse(log.sql, failed);
  double raw = std::max(raw1, raw2);
  std::printf("raw pg_query_parse again: %.0f queries/s; limit = %.0f queries/s\n", raw2, raw);
  std::printf("ratio ingest/raw = %.3f (target >= 0.5); with analysis_cache %.3f\n",
              plain.per_s / raw, cached.per_s / raw);

  if (own_dir && !cfg.keep)
    std::filesystem::remove_all(cfg.dir);
  std::printf("ingest_bench: queries=%zu ingest_per_s=%.0f raw_parse_per_s=%.0f ratio=%.3f\n",
              log.sql.size(), plain.per_s, raw, plain.per_s / raw);
  return 0;
}
