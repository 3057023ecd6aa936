// search_bench: the search index (actors/search, Xapian) over a generated
// catalog of 1,000,000 entities, against PostgreSQL full-text search over the
// same documents and queries, in the same run on the same machine.
//
//   0. Generates the catalog (search_bench_gen.hpp): sources, schemas,
//      tables/views and their columns with realistic identifiers (snake,
//      camel, upper case, abbreviations) and generated descriptions.
//   1. Indexing: search_index::upsert of every entity (the catalog's JSON
//      shape), commit every --batch entities (the projection's pattern):
//      entities/s over the whole load, final commit included.
//   2. Queries: a fixed mix (single words, multi-word, prefix `cust*`,
//      filtered by kind/source/tag; about 75 each) through
//      search_index::search with the API's defaults (limit 20, facets,
//      snippets, re-ranking); one warm-up pass, then --passes timed passes,
//      single-threaded, in process.
//   3. Suggest: about 200 prefixes as typed (c, cu, cus, ...), limit 10.
//   4. PostgreSQL FTS (search_bench_pg.hpp): the same entities COPYed into a
//      table with a weighted stored tsvector (name A, title and tags B,
//      description C), GIN index, then the same queries with
//      websearch_to_tsquery / to_tsquery(':*'), ts_rank ordering, LIMIT 20,
//      filters as WHERE clauses, over the unix socket; the same warm-up and
//      passes. Needs PGTEST_DSN (skipped with a note when unset):
//        PGTEST_PAGILA=0 scripts/pg-test run -- build/benchmarks/search_bench
//
// usage: search_bench [--quick] [--entities N] [--batch B] [--passes P]
//                     [--dir DIR] [--keep] [--no-pg] [--verbose]
//   --quick: 50,000 entities, one timed pass.
//   --dir DIR --keep: keep the index in DIR; a later run with the same
//   --dir and --entities reuses it (no indexing figure) - for profiling.
// Targets (issue 7): p99 < 20 ms, p99 at least 2x better than PostgreSQL's,
// suggest p99 < 5 ms. The last line is machine-readable:
//   search_bench: entities=N index_per_s=X p50_ms=A p99_ms=B pg_p50_ms=C
//                 pg_p99_ms=D speedup_p99=D/B suggest_p99_ms=E

#include "search_bench_gen.hpp"
#include "search_bench_pg.hpp"

#include "actors/search/search_index.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <unistd.h>
#include <vector>

using clock_type = std::chrono::steady_clock;
using namespace search_bench;
namespace fs = std::filesystem;

namespace {

struct config {
  size_t entities = 1000000;
  size_t batch = 10000;
  int passes = 3;
  std::string dir;
  bool keep = false;
  bool pg = true;
  bool verbose = false;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "search_bench: %s\nusage: search_bench [--quick] [--entities N] [--batch B] "
               "[--passes P] [--dir DIR] [--keep] [--no-pg] [--verbose]\n",
               why);
  std::exit(2);
}

config parse(int argc, char** argv) {
  config c;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(("missing value for " + a).c_str());
      return argv[++i];
    };
    if (a == "--quick") {
      c.entities = 50000;
      c.passes = 1;
    } else if (a == "--entities") {
      c.entities = std::stoull(value());
    } else if (a == "--batch") {
      c.batch = std::max<size_t>(1, std::stoull(value()));
    } else if (a == "--passes") {
      c.passes = std::max(1, std::stoi(value()));
    } else if (a == "--dir") {
      c.dir = value();
    } else if (a == "--keep") {
      c.keep = true;
    } else if (a == "--no-pg") {
      c.pg = false;
    } else if (a == "--verbose") {
      c.verbose = true;
    } else {
      usage(("unknown argument " + a).c_str());
    }
  }
  return c;
}

double ms_since(clock_type::time_point t) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - t).count();
}

double pct(std::vector<double> v, double p) {
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  // nearest rank
  size_t rank = static_cast<size_t>(std::ceil(p * v.size()));
  return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
}

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? std::nan("") : s / v.size();
}

uint64_t dir_bytes(const fs::path& dir) {
  uint64_t n = 0;
  std::error_code ec;
  for (auto& e : fs::recursive_directory_iterator(dir, ec))
    if (e.is_regular_file(ec)) n += e.file_size(ec);
  return n;
}

/// Latencies and result counts per query category.
struct timings {
  std::map<std::string, std::vector<double>> ms; ///< category -> latencies
  std::map<std::string, size_t> empty;           ///< category -> queries with no result
  std::map<std::string, double> rows;            ///< category -> results returned (sum)
  std::vector<double> all() const {
    std::vector<double> out;
    for (auto& [k, v] : ms) out.insert(out.end(), v.begin(), v.end());
    return out;
  }
};

std::string describe(const bench_query& q) {
  std::string s = "\"" + q.text + "\"";
  for (auto& k : q.kinds) s += " kind=" + k;
  for (auto& k : q.sources) s += " source=" + k;
  for (auto& k : q.tags) s += " tag=" + k;
  return s;
}

/// Runs the mix once untimed, then `passes` timed passes; `run` returns the
/// number of results of one query.
template <class Run>
timings measure(const std::vector<bench_query>& mix, int passes, bool verbose, Run run) {
  timings t;
  for (auto& q : mix) {
    size_t n = run(q);
    if (n == 0) {
      ++t.empty[q.category];
      if (verbose) std::printf("  no result: %s\n", describe(q).c_str());
    }
    t.rows[q.category] += static_cast<double>(n);
  }
  for (int p = 0; p < passes; ++p)
    for (auto& q : mix) {
      auto t0 = clock_type::now();
      run(q);
      t.ms[q.category].push_back(ms_since(t0));
    }
  return t;
}


std::string thousands(double x) {
  auto s = std::to_string(static_cast<long long>(std::llround(x)));
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<size_t>(i), ",");
  return s;
}

} // namespace

int main(int argc, char** argv) {
  config cfg = parse(argc, argv);
  const char* dsn = std::getenv("PGTEST_DSN");
  if (cfg.pg && (!dsn || !*dsn)) {
    std::printf("PGTEST_DSN is not set: the PostgreSQL part is skipped (run under "
                "`PGTEST_PAGILA=0 scripts/pg-test run --`)\n");
    cfg.pg = false;
  }
  fs::path dir = cfg.dir.empty()
                   ? fs::temp_directory_path() / ("search-bench-" + std::to_string(::getpid()))
                   : fs::path(cfg.dir);

  // 0. The catalog.
  auto t0 = clock_type::now();
  auto entities = generate_catalog(cfg.entities);
  std::map<std::string, size_t> kinds;
  std::vector<std::string> sources;
  for (auto& e : entities) {
    ++kinds[e.kind];
    if (e.kind == "source") sources.push_back(e.name);
  }
  auto mix = query_mix(sources);
  auto prefixes = suggest_prefixes();
  std::printf("catalog: %s entities (", thousands(entities.size()).c_str());
  bool first = true;
  for (auto k : {"source", "schema", "table", "view", "column"}) {
    std::printf("%s%s %s", first ? "" : ", ", thousands(kinds[k]).c_str(), k);
    first = false;
  }
  std::printf(") generated in %.1f s; %zu queries, %zu suggest prefixes\n", ms_since(t0) / 1000,
              mix.size(), prefixes.size());
  if (cfg.verbose)
    for (size_t i = 0; i < entities.size() && i < 60; i += 3)
      std::printf("  %s %s | %s | %s\n", entities[i].kind.c_str(), entities[i].name.c_str(),
                  entities[i].title.c_str(), entities[i].description.c_str());
  std::fflush(stdout);

  // 1. Indexing.
  auto idx_ptr = std::make_unique<almanac::search::search_index>();
  auto& idx_ref = idx_ptr;
  bool reuse = !cfg.dir.empty() && fs::exists(dir);
  if (!reuse) fs::remove_all(dir);
  if (auto st = idx_ref->open(dir.string()); !st.ok()) {
    std::fprintf(stderr, "search_bench: open %s: %s\n", dir.c_str(), st.error.c_str());
    return 1;
  }
  if (reuse && idx_ref->size() != entities.size()) {
    std::fprintf(stderr, "search_bench: %s holds %llu documents, not %zu\n", dir.c_str(),
                 static_cast<unsigned long long>(idx_ref->size()), entities.size());
    return 1;
  }
  if (reuse) std::printf("almanac: reusing the index in %s (no indexing figure)\n", dir.c_str());
  t0 = clock_type::now();
  std::vector<double> commit_ms;
  for (size_t i = 0; i < entities.size() && !reuse; ++i) {
    if (auto st = idx_ref->upsert(entities[i].to_json()); !st.ok()) {
      std::fprintf(stderr, "search_bench: upsert %s: %s\n", entities[i].urn.c_str(),
                   st.error.c_str());
      return 1;
    }
    if ((i + 1) % cfg.batch == 0 || i + 1 == entities.size()) {
      auto tc = clock_type::now();
      if (auto st = idx_ref->commit(i + 1); !st.ok()) {
        std::fprintf(stderr, "search_bench: commit: %s\n", st.error.c_str());
        return 1;
      }
      commit_ms.push_back(ms_since(tc));
    }
  }
  double index_s = ms_since(t0) / 1000;
  double index_per_s = reuse ? std::nan("") : entities.size() / index_s;
  double commit_total = 0;
  for (double c : commit_ms) commit_total += c;
  std::printf("almanac: indexed in %.1f s (%.0f entities/s; %zu commits, %.1f s of them, "
              "slowest %.0f ms), %llu documents, %.0f MB on disk\n",
              index_s, index_per_s, commit_ms.size(), commit_total / 1000,
              commit_ms.empty() ? 0.0 : *std::max_element(commit_ms.begin(), commit_ms.end()),
              static_cast<unsigned long long>(idx_ref->size()), dir_bytes(dir) / 1e6);
  // Opening the index as a restarted node does (the suggester and lexicon
  // included).
  double open_s = std::nan("");
  {
    auto t_close = clock_type::now();
    idx_ptr.reset(); // writes the memory snapshot
    double close_s = ms_since(t_close) / 1000;
    auto t_open = clock_type::now();
    idx_ptr = std::make_unique<almanac::search::search_index>();
    if (auto st = idx_ptr->open(dir.string()); !st.ok()) {
      std::fprintf(stderr, "search_bench: reopen %s: %s\n", dir.c_str(), st.error.c_str());
      return 1;
    }
    open_s = ms_since(t_open) / 1000;
    std::printf("almanac: closed in %.2f s (the memory snapshot written), reopened in %.2f s "
                "(%s)\n", close_s, open_s,
                idx_ptr->opened_from_snapshot() ? "from the snapshot" : "reading every document");
  }
  const double index_mb = dir_bytes(dir) / 1e6;
  std::fflush(stdout);

  // 2. Queries.
  bool facets = true;
  auto to_query = [&](const bench_query& q) {
    almanac::search::search_query s;
    s.facets = facets;
    s.text = q.text;
    s.kinds = q.kinds;
    s.sources = q.sources;
    s.tags = q.tags;
    s.limit = 20;
    return s;
  };
  std::vector<std::string> errors;
  auto almanac_run = [&](const bench_query& q) -> size_t {
    auto r = idx_ref->search(to_query(q));
    if (!r.error.empty() && errors.size() < 5) errors.push_back(describe(q) + ": " + r.error);
    return r.results.size();
  };
  auto xa = measure(mix, cfg.passes, cfg.verbose, almanac_run);
  for (auto& e : errors) std::fprintf(stderr, "search_bench: search %s\n", e.c_str());
  if (!errors.empty()) return 1;
  // The same without facets (for the report: what the match spy costs).
  facets = false;
  auto xa_nofacets = measure(mix, 1, false, almanac_run);
  facets = true;
  std::printf("almanac: queries measured\n");
  std::fflush(stdout);

  // 3. Suggest.
  std::vector<double> sugg_ms;
  std::map<std::string, std::vector<double>> sugg_by_len; // "1-2", "3-5", "6+"
  auto len_class = [](const std::string& p) {
    return p.size() <= 2 ? "1-2 chars" : p.size() <= 5 ? "3-5 chars" : "6+ chars";
  };
  size_t sugg_empty = 0;
  for (auto& p : prefixes)
    if (idx_ref->suggest(p, 10).empty()) {
      ++sugg_empty;
      if (cfg.verbose) std::printf("  no suggestion for \"%s\"\n", p.c_str());
    }
  for (int pass = 0; pass < std::max(3, cfg.passes); ++pass)
    for (auto& p : prefixes) {
      auto ts = clock_type::now();
      auto r = idx_ref->suggest(p, 10);
      sugg_ms.push_back(ms_since(ts));
      sugg_by_len[len_class(p)].push_back(sugg_ms.back());
    }

  // 4. PostgreSQL.
  timings pg;
  pg_fts::load_times load;
  uint64_t pg_bytes = 0;
  bool pg_ok = false;
  if (cfg.pg) {
    try {
      pg_fts p(dsn);
      load = p.load(entities);
      pg_bytes = p.size_bytes();
      std::printf("postgres: loaded in %.1f s (COPY %.1f s, indexes %.1f s, VACUUM ANALYZE "
                  "%.1f s), %.0f MB\n",
                  load.total(), load.copy_s, load.index_s, load.analyze_s, pg_bytes / 1e6);
      std::fflush(stdout);
      pg = measure(mix, cfg.passes, cfg.verbose, [&](const bench_query& q) { return p.run(q); });
      if (cfg.verbose)
        for (size_t i = 0; i < mix.size(); i += 25) std::printf("  %s\n", p.sql(mix[i]).c_str());
      pg_ok = true;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "search_bench: PostgreSQL: %s\n", e.what());
      return 1;
    }
  }

  // Report.
  std::printf("\n%-10s %5s | %-36s | %-36s\n", "", "", "almanac search_index (Xapian)",
              "PostgreSQL FTS (GIN, ts_rank)");
  std::printf("%-10s %5s | %8s %8s %8s %9s | %8s %8s %8s %9s\n", "query", "n", "p50 ms",
              "p99 ms", "mean ms", "rows/q", "p50 ms", "p99 ms", "mean ms", "rows/q");
  std::vector<std::string> cats = {"single", "multi", "prefix", "filtered"};
  std::map<std::string, size_t> per_cat;
  for (auto& q : mix) ++per_cat[q.category];
  auto row = [&](const std::string& name, size_t n, const std::vector<double>& a,
                 double a_rows, const std::vector<double>& b, double b_rows) {
    std::printf("%-10s %5zu | %8.2f %8.2f %8.2f %9.1f |", name.c_str(), n, pct(a, 0.5),
                pct(a, 0.99), mean(a), a_rows);
    if (pg_ok)
      std::printf(" %8.2f %8.2f %8.2f %9.1f\n", pct(b, 0.5), pct(b, 0.99), mean(b), b_rows);
    else
      std::printf(" %8s %8s %8s %9s\n", "-", "-", "-", "-");
  };
  double xa_rows_all = 0, pg_rows_all = 0;
  for (auto& c : cats) {
    size_t n = per_cat[c];
    row(c, n, xa.ms[c], n ? xa.rows[c] / n : 0, pg.ms[c], n ? pg.rows[c] / n : 0);
    xa_rows_all += xa.rows[c];
    pg_rows_all += pg.rows[c];
  }
  auto xa_all = xa.all(), pg_all = pg.all();
  row("all", mix.size(), xa_all, xa_rows_all / mix.size(), pg_all, pg_rows_all / mix.size());
  size_t xa_empty = 0, pg_empty = 0;
  for (auto& c : cats) {
    xa_empty += xa.empty[c];
    pg_empty += pg.empty[c];
  }
  std::printf("(%d timed pass%s after one warm-up; queries without results: almanac %zu, "
              "postgres %s)\n",
              cfg.passes, cfg.passes == 1 ? "" : "es", xa_empty,
              pg_ok ? std::to_string(pg_empty).c_str() : "-");
  auto xa_nf = xa_nofacets.all();
  std::printf("%-10s %5zu | %8.2f %8.2f %8.2f %9s | (facets off: search_query::facets = false)\n",
              "no facets", mix.size(), pct(xa_nf, 0.5), pct(xa_nf, 0.99), mean(xa_nf), "");
  std::printf("%-10s %5zu | %8.3f %8.3f %8.3f  (limit 10, %zu prefixes without suggestions)\n",
              "suggest", prefixes.size(), pct(sugg_ms, 0.5), pct(sugg_ms, 0.99), mean(sugg_ms),
              sugg_empty);
  for (auto& [len, v] : sugg_by_len)
    std::printf("  %-12s %3zu | %8.3f %8.3f %8.3f\n", len.c_str(), v.size() / std::max(3, cfg.passes),
                pct(v, 0.5), pct(v, 0.99), mean(v));
  std::printf("%-10s %5s | %10.0f entities/s, %.0f MB | ", "indexing", "", index_per_s,
              dir_bytes(dir) / 1e6);
  if (pg_ok)
    std::printf("%10.0f rows/s (COPY + indexes + ANALYZE), %.0f MB\n",
                entities.size() / load.total(), pg_bytes / 1e6);
  else
    std::printf("-\n");

  // Targets.
  double p50 = pct(xa_all, 0.5), p99 = pct(xa_all, 0.99);
  double pg50 = pg_ok ? pct(pg_all, 0.5) : std::nan("");
  double pg99 = pg_ok ? pct(pg_all, 0.99) : std::nan("");
  double speedup = pg99 / p99;
  double sugg99 = pct(sugg_ms, 0.99);
  auto verdict = [](bool ok) { return ok ? "met" : "MISSED"; };
  std::printf("targets: p99 < 20 ms: %s; p99 >= 2x faster than PostgreSQL: %s; "
              "suggest p99 < 5 ms: %s\n",
              verdict(p99 < 20), pg_ok ? verdict(speedup >= 2) : "not measured",
              verdict(sugg99 < 5));
  if (cfg.verbose || p99 >= 20) {
    // The slowest queries, by their worst time.
    std::vector<std::pair<double, std::string>> worst;
    std::map<std::string, double> by_query;
    std::map<std::string, size_t> idx_in_cat; // measure() appends in mix order per pass
    for (int pass = 0; pass < cfg.passes; ++pass)
      for (auto& q : mix) {
        double t = xa.ms[q.category][idx_in_cat[q.category]++];
        auto key = describe(q);
        by_query[key] = std::max(by_query[key], t);
      }
    for (auto& [q, t] : by_query) worst.emplace_back(t, q);
    std::sort(worst.rbegin(), worst.rend());
    std::printf("slowest almanac queries:");
    for (size_t i = 0; i < worst.size() && i < 8; ++i)
      std::printf(" %s %.1f ms;", worst[i].second.c_str(), worst[i].first);
    std::printf("\n");
  }

  if (!cfg.keep && !reuse) fs::remove_all(dir);
  const double pg_load_per_s = pg_ok ? entities.size() / load.total() : std::nan("");
  std::printf("search_bench: entities=%zu index_per_s=%.0f p50_ms=%.2f p99_ms=%.2f "
              "pg_p50_ms=%.2f pg_p99_ms=%.2f speedup_p99=%.2f suggest_p99_ms=%.3f "
              "open_s=%.2f index_mb=%.0f pg_mb=%.0f pg_load_per_s=%.0f load_ratio=%.3f "
              "size_ratio=%.2f\n",
              entities.size(), index_per_s, p50, p99, pg50, pg99, speedup, sugg99, open_s,
              index_mb, pg_bytes / 1e6, pg_load_per_s, index_per_s / pg_load_per_s,
              index_mb / (pg_bytes / 1e6));
  return 0;
}
