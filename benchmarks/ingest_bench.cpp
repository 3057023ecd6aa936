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
//   2. Ingestion as the node does it (no catalog): observe_all (the
//      analysis from the node's analysis_cache, then the QueryObserved
//      payload) of each batch of --batch entries, then lineage_store::apply
//      of the batch into a fresh store (query store, executions, usage
//      index, popularity, lineage edges), committed to RocksDB per batch.
//      Once on one thread (the ratio's figure: the limit is one thread's),
//      once on one per core. The time is split into observe and apply.
//   3. The same without the cache (every query analysed), and a check that
//      the cached payloads equal the uncached ones.
//   4. For reference: analyze() alone, and pg_query_fingerprint alone.
// Not measured: parsing the upload body (parse_query_lines) and appending to
// the event log.
//
// usage: ingest_bench [--quick] [--queries N] [--batch N] [--shapes N]
//                     [--tables N] [--cache N] [--dir DIR] [--keep]
// The last line is machine-readable.

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
#include <thread>
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

/// Ingests every entry into a fresh lineage_store at `dir`: `observe` turns
/// a batch of entries into events.
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
    size_t end = std::min(log.entries.size(), i + batch);
    std::vector<json> entries(log.entries.begin() + i, log.entries.begin() + end);
    auto evs = observe(entries);
    for (size_t k = 0; k < evs.size(); ++k, ++i) {
      event_record rec;
      rec.offset = next++;
      rec.epoch = 1;
      rec.timestamp_ms = log.entries[i]["start_ms"].get<int64_t>();
      rec.type = std::move(evs[k].type);
      rec.key = std::move(evs[k].key);
      rec.payload = std::move(evs[k].payload);
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

void print(const char* what, const ingest_result& r, size_t n) {
  std::printf("%s: %.0f queries/s\n  observe %.2f s (%.0f/s), apply %.2f s (%.0f/s)\n  store: %s\n",
              what, r.per_s, r.observe_s, n / r.observe_s, r.apply_s, n / r.apply_s,
              r.status.c_str());
  std::fflush(stdout);
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

  // 2. Ingestion as the node does it: the node's analysis cache in front,
  //    on one thread, then on one per core (observe_all).
  auto n = log.sql.size();
  lineage::analysis_cache cache{cfg.cache};
  auto one = ingest(log, cfg.dir + "/node1", cfg.batch, [&](const std::vector<json>& es) {
    return lineage::observe_all(es, "upload", nullptr, cache, 1);
  });
  auto hits = cache.hits(), misses = cache.misses();
  print(("ingest as the node does it, 1 thread (observe_all with analysis_cache("
         + std::to_string(cfg.cache) + "), lineage_store::apply in batches of "
         + std::to_string(cfg.batch) + ")").c_str(),
        one, n);
  std::printf("  analysis cache: %zu hits, %zu misses\n", hits, misses);
  lineage::analysis_cache cache2{cfg.cache};
  unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  auto par = ingest(log, cfg.dir + "/node2", cfg.batch, [&](const std::vector<json>& es) {
    return lineage::observe_all(es, "upload", nullptr, cache2, 0);
  });
  print(("ingest as the node does it, " + std::to_string(cores) + " threads").c_str(), par, n);

  // 3. Without the cache (every query analysed: what milestone 1 did).
  auto plain = ingest(log, cfg.dir + "/plain", cfg.batch, [&](const std::vector<json>& es) {
    std::vector<event_input> out;
    for (auto& e : es)
      out.push_back(lineage::observe_query(e, "upload", nullptr));
    return out;
  });
  print("ingest without the analysis cache, 1 thread", plain, n);
  // The cached payloads must equal the uncached ones (but for "normalized").
  {
    lineage::analysis_cache check{cfg.cache};
    size_t m = std::min<size_t>(log.entries.size(), 3000), diff = 0;
    for (size_t i = 0; i < m; ++i) {
      auto a = json::parse(lineage::observe_query(log.entries[i], "upload", nullptr).payload);
      auto b = json::parse(lineage::observe_query(log.entries[i], "upload", nullptr, check).payload);
      a.erase("normalized");
      b.erase("normalized");
      if (a == b)
        continue;
      if (++diff <= 2)
        std::printf("  cached payload differs for: %s\n", log.sql[i].c_str());
    }
    std::printf("  cached payloads equal to uncached ones (but normalized): %zu/%zu\n", m - diff,
                m);
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
  std::printf("ratio ingest/raw = %.3f (target >= 0.5) on 1 thread, %.3f on %u threads; "
              "without the cache %.3f\n",
              one.per_s / raw, par.per_s / raw, cores, plain.per_s / raw);

  if (own_dir && !cfg.keep)
    std::filesystem::remove_all(cfg.dir);
  std::printf("ingest_bench: queries=%zu ingest_per_s=%.0f raw_parse_per_s=%.0f ratio=%.3f "
              "threads=%u ingest_parallel_per_s=%.0f ratio_parallel=%.3f uncached_per_s=%.0f\n",
              log.sql.size(), one.per_s, raw, one.per_s / raw, cores, par.per_s,
              par.per_s / raw, plain.per_s);
  return 0;
}
