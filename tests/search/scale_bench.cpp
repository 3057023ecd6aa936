// Scale check for the search index: a generated catalog of N entities
// (tables of 10 columns, realistic names, some abbreviated, descriptions),
// indexing rate, query latency p50/p99 for a fixed mix (single words,
// multi-word, prefix, filtered) and suggest latency p50/p99.
//   search_scale_bench [N=1000000] [DIR [keep]]   (keep: reuse/keep DIR)
// Environment: CHECK_AT_LEAST, FACETS=0 to vary the queries.
// Registered in CTest with N=20000 as a smoke run; the full benchmark
// against PostgreSQL FTS belongs in benchmarks/search_bench.
#include "actors/search/search_index.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <cstdlib>
#include <random>

#include <unistd.h>

using namespace almanac::search;
using clock_type = std::chrono::steady_clock;

namespace {

const char* nouns[] = {"customer", "order", "invoice", "payment", "product", "address",
                       "account", "shipment", "supplier", "employee", "store", "region",
                       "campaign", "session", "event", "ticket", "contract", "balance",
                       "inventory", "category", "warehouse", "transaction", "refund", "price"};
const char* abbrevs[] = {"cust", "ord", "inv", "pmt", "prod", "addr", "acct", "shp", "supp",
                         "emp", "str", "rgn", "cmpgn", "sess", "evt", "tkt", "cntr", "bal",
                         "invt", "cat", "whs", "txn", "rfnd", "prc"};
const char* attrs[] = {"id", "name", "amount", "date", "status", "code", "type", "total",
                       "created_at", "updated_at", "quantity", "email", "phone", "country"};
const char* adjs[] = {"daily", "monthly", "active", "archived", "raw", "clean", "staging"};

double pct(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, size_t(p * v.size()))];
}

double ms_since(clock_type::time_point t) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - t).count();
}

} // namespace

int main(int argc, char** argv) {
  size_t n = argc > 1 ? std::stoull(argv[1]) : 1000000;
  bool keep = argc > 3;
  std::filesystem::path dir = argc > 2 ? argv[2]
                                       : std::filesystem::temp_directory_path() /
                                           ("search-scale-" + std::to_string(::getpid()));
  if (!keep) std::filesystem::remove_all(dir);
  search_index idx;
  auto topen = clock_type::now();
  if (auto st = idx.open(dir.string()); !st.ok()) {
    std::fprintf(stderr, "open: %s\n", st.error.c_str());
    return 1;
  }
  if (keep) std::printf("opened %llu entities in %.1f s\n", (unsigned long long)idx.size(),
                        ms_since(topen) / 1000);
  std::mt19937_64 rng(42);
  auto pick = [&](auto& arr) { return arr[rng() % (sizeof(arr) / sizeof(arr[0]))]; };
  auto t0 = clock_type::now();
  size_t count = 0, table_no = 0;
  if (keep && idx.size() > 0) count = n; // reuse the index in DIR
  while (count < n) {
    size_t a = rng() % 24, b = rng() % 24;
    bool abbr = rng() % 4 == 0;
    std::string src = "src" + std::to_string(table_no % 5);
    std::string schema = std::string(pick(adjs));
    std::string tname = std::string(abbr ? abbrevs[a] : nouns[a]) + "_" +
                        (abbr ? abbrevs[b] : nouns[b]) + "_" + std::to_string(table_no++);
    std::string turn = "urn:almanac:table:" + src + "." + schema + "." + tname;
    nlohmann::json t = {{"urn", turn}, {"kind", "table"}, {"name", tname},
                        {"parent", "urn:almanac:schema:" + src + "." + schema},
                        {"title", ""},
                        {"description", std::string("One row per ") + nouns[a] + " of each " +
                                          nouns[b] + ", " + pick(adjs) + " load"},
                        {"tags", rng() % 10 == 0 ? nlohmann::json{"pii"} : nlohmann::json::array()},
                        {"stewards", nlohmann::json::array()}, {"terms", nlohmann::json::array()},
                        {"endorsed", rng() % 20 == 0}, {"deprecated", rng() % 30 == 0},
                        {"attributes", nlohmann::json::object()}, {"version", 1}};
    idx.upsert(t);
    ++count;
    for (int c = 0; c < 9 && count < n; ++c, ++count) {
      std::string cname = std::string(c == 0 ? nouns[a] : pick(nouns)) + "_" + pick(attrs);
      idx.upsert({{"urn", "urn:almanac:column:" + src + "." + schema + "." + tname + "." + cname +
                             std::to_string(c)},
                  {"kind", "column"}, {"name", cname}, {"parent", turn}, {"title", ""},
                  {"description", ""}, {"tags", nlohmann::json::array()},
                  {"stewards", nlohmann::json::array()}, {"terms", nlohmann::json::array()},
                  {"endorsed", false}, {"deprecated", false},
                  {"attributes", {{"data_type", "text"}, {"ordinal", c}}}, {"version", 1}});
    }
    if (table_no % 5000 == 0) idx.commit(count);
  }
  idx.commit(count);
  if (keep && n == count && table_no == 0) std::printf("(index reused)\n");
  double index_s = ms_since(t0) / 1000;
  std::printf("indexed %zu entities in %.1f s: %.0f entities/s\n", n, index_s, n / index_s);

  struct mix {
    const char* name;
    std::vector<search_query> queries;
  };
  const char* cal = std::getenv("CHECK_AT_LEAST");
  const char* facets = std::getenv("FACETS");
  auto q = [&](std::string text, std::vector<std::string> kinds = {}) {
    search_query s;
    if (cal) s.check_at_least = std::stoull(cal);
    if (facets) s.facets = std::string(facets) != "0";
    s.text = std::move(text);
    s.kinds = std::move(kinds);
    s.limit = 20;
    return s;
  };
  std::vector<mix> mixes = {
    {"single word", {q("customer"), q("invoice"), q("refund"), q("warehouse")}},
    {"multi-word", {q("customer payment"), q("order status"), q("monthly invoice amount")}},
    {"prefix", {q("cust"), q("ship*"), q("wareh")}},
    {"filtered", {q("payment", {"table"}), q("email", {"column"})}},
  };
  for (auto& m : mixes) {
    std::vector<double> lat;
    for (int rep = 0; rep < 25; ++rep)
      for (auto& s : m.queries) {
        auto t = clock_type::now();
        auto r = idx.search(s);
        lat.push_back(ms_since(t));
        if (!r.error.empty()) std::printf("error: %s\n", r.error.c_str());
      }
    std::printf("query %-12s p50 %6.2f ms  p99 %6.2f ms\n", m.name, pct(lat, 0.5), pct(lat, 0.99));
  }
  std::vector<double> lat;
  const char* prefixes[] = {"c", "cu", "cus", "cust", "customer_o", "inv", "o", "pay", "wa", "txn"};
  for (int rep = 0; rep < 50; ++rep)
    for (auto p : prefixes) {
      auto t = clock_type::now();
      idx.suggest(p, 10);
      lat.push_back(ms_since(t));
    }
  std::printf("suggest        p50 %6.3f ms  p99 %6.3f ms\n", pct(lat, 0.5), pct(lat, 0.99));
  if (!keep) std::filesystem::remove_all(dir);
  return 0;
}
