#define BOOST_TEST_MODULE profiling_sqlite
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

// Profiles a generated SQLite table and view through the SQLite connector and
// checks the figures against the same figures computed by SQL.

#include "tests/profiling/test_helpers.hpp"

#include "actors/profiling/sql.hpp"
#include "actors/profiling/table_profiler.hpp"
#include "connectors/connector.hpp"
#include "messages/error.hpp"

#include <cstdio>
#include <filesystem>
#include <memory>
#include <unistd.h>

using namespace almanac;
using namespace almanac::profiling;
using almanac::profiling::test::full_read;
using almanac::profiling::test::why;
using nlohmann::json;

namespace {

/// A database of 30,000 rows in `t` (an integer key, a text, a real, an
/// integer with nulls, a quoted name) and a view `v` of half of them.
struct generated {
  std::string path;
  std::unique_ptr<connectors::connector> c;
  std::atomic<bool> cancel{false};

  generated() {
    path = (std::filesystem::temp_directory_path()
            / ("profiling-" + std::to_string(::getpid()) + ".sqlite"))
             .string();
    std::filesystem::remove(path);
    connectors::source_config cfg;
    cfg.name = "gen";
    cfg.kind = "sqlite";
    cfg.path = path;
    { std::FILE* f = std::fopen(path.c_str(), "w"); if (f) std::fclose(f); }
    auto c_or = connectors::connect(cfg);
    BOOST_REQUIRE_MESSAGE(c_or, why(c_or));
    c = std::move(*c_or);
    write(R"(CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL, grp INTEGER, "we""ird" TEXT))");
    write("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30000) "
          "INSERT INTO t SELECT i, 'name' || (i % 997), (i % 101) * 0.25, "
          "CASE WHEN i % 13 = 0 THEN NULL ELSE i % 50 END, 'é' || i FROM n");
    write("CREATE VIEW v AS SELECT id, name FROM t WHERE id % 2 = 0");
  }

  ~generated() {
    c.reset();
    std::filesystem::remove(path);
  }

  void write(const std::string& sql) {
    connectors::query_options opts;
    opts.read_only = false;
    auto r = c->query(sql, opts);
    BOOST_REQUIRE_MESSAGE(r, sql << ": " << why(r));
  }

  json row(const std::string& sql) {
    auto r = c->query(sql, connectors::query_options{});
    BOOST_REQUIRE_MESSAGE(r, sql << ": " << why(r));
    return r->rows.at(0);
  }

  /// Checks `column` of `from` against SQL: counts, min, max, and for
  /// numbers the mean and standard deviations, for text the lengths.
  void check(const std::string& from, const json& profile, const std::string& column,
             bool numeric) {
    BOOST_TEST_CONTEXT(from << "." << column) {
      const auto& p = profile["columns"][column];
      auto q = quote_identifier(column);
      auto s = row("SELECT count(*), count(" + q + "), count(DISTINCT " + q + "), min(" + q
                   + "), max(" + q + "), avg(" + q + "), min(length(" + q
                   + ")), max(length(" + q + ")), avg(length(" + q + ")) FROM " + from);
      BOOST_CHECK_EQUAL(p["row_count"], s[0]);
      BOOST_CHECK_EQUAL(p["null_count"], s[0].get<int64_t>() - s[1].get<int64_t>());
      BOOST_CHECK_EQUAL(p["distinct_count"], s[2]);
      BOOST_CHECK_EQUAL(p["min"], s[3]);
      BOOST_CHECK_EQUAL(p["max"], s[4]);
      if (numeric) {
        BOOST_CHECK_CLOSE_FRACTION(p["mean"].get<double>(), s[5].get<double>(), 1e-9);
        auto var = row("SELECT sum((" + q + " - m) * (" + q + " - m)) / (count(" + q
                       + ") - 1) FROM " + from + ", (SELECT avg(" + q + ") AS m FROM "
                       + from + ")")[0];
        BOOST_CHECK_CLOSE_FRACTION(p["stddev"].get<double>(), std::sqrt(var.get<double>()),
                                   1e-9);
      } else {
        BOOST_CHECK_EQUAL(p["length"]["min"], s[6]);
        BOOST_CHECK_EQUAL(p["length"]["max"], s[7]);
        BOOST_CHECK_CLOSE_FRACTION(p["length"]["mean"].get<double>(), s[8].get<double>(),
                                   1e-9);
      }
    }
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(sqlite_profiles, generated)

BOOST_AUTO_TEST_CASE(table_in_full_by_rowid) {
  auto p = profile_table(*c, "", "t", {}, full_read(4000, sql_dialect::sqlite), cancel);
  BOOST_REQUIRE_MESSAGE(p, why(p));
  BOOST_CHECK_EQUAL((*p)["table_row_count"], 30'000);
  BOOST_CHECK_EQUAL((*p)["sample_size"], 30'000);
  check("t", *p, "id", true);
  check("t", *p, "score", true);
  check("t", *p, "grp", true);
  check("t", *p, "name", false);
  check("t", *p, "we\"ird", false);
  BOOST_CHECK_EQUAL((*p)["columns"]["grp"]["top_values"].size(), 10u);
}

BOOST_AUTO_TEST_CASE(view_in_full_without_rowid) {
  auto p = profile_table(*c, "main", "v", {}, full_read(4000, sql_dialect::sqlite), cancel);
  BOOST_REQUIRE_MESSAGE(p, why(p));
  BOOST_CHECK_EQUAL((*p)["table_row_count"], 15'000);
  check("v", *p, "id", true);
  check("v", *p, "name", false);
}

BOOST_AUTO_TEST_CASE(sampled_by_default) {
  auto p = profile_table(*c, "main", "t", {"id", "grp"}, profile_options{}, cancel);
  BOOST_REQUIRE_MESSAGE(p, why(p));
  BOOST_CHECK_EQUAL((*p)["sampled"], true);
  BOOST_CHECK_EQUAL((*p)["sample_size"], 10'000);
  // The table's figures, estimated from the sample: a key of 30,000 rows.
  const auto& id = (*p)["columns"]["id"];
  BOOST_CHECK_EQUAL(id["row_count"], 30'000);
  BOOST_CHECK_EQUAL(id["sample_distinct_count"], 10'000);
  BOOST_CHECK_EQUAL(id["distinct_count"], 30'000);
  BOOST_CHECK_EQUAL(id["distinct_exact"], false);
  // 1 in 13 of the rows has a null grp: about 769 of 10,000 (sd ~27), so
  // about 2,308 of 30,000.
  const auto& grp = (*p)["columns"]["grp"];
  auto nulls = grp["sample_null_count"].get<int>();
  BOOST_CHECK_GT(nulls, 769 - 5 * 27);
  BOOST_CHECK_LT(nulls, 769 + 5 * 27);
  auto scaled = grp["null_count"].get<int>();
  BOOST_CHECK_GE(scaled, 3 * nulls - 2);
  BOOST_CHECK_LE(scaled, 3 * nulls + 2);
}

BOOST_AUTO_TEST_SUITE_END()
