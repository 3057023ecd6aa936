// Robustness: every prefix-truncation and random mutation of the corpus
// SQL (and of a few statements of our own) is analyzed without throwing or
// crashing, and either parses or carries a parse error.

#define BOOST_TEST_MODULE lineage_sql_fuzz
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "actors/lineage/sql/analysis_cache.hpp"
#include "actors/lineage/sql/analysis_json.hpp"
#include "actors/lineage/sql/sql_analysis.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <random>

using namespace almanac::lineage;

namespace {

std::vector<std::string> corpus() {
  std::vector<std::string> out = {
    "with recursive s as (select 1 as n union all select n + 1 from s where n < 3) "
    "insert into t (n) select n from s",
    "merge into t using (select * from s) x on t.id = x.id when matched then update set "
    "v = x.v when not matched then insert values (x.id, x.v)",
    "update t set (a, b) = (select c, d from u where u.k = t.k) from w where w.z = t.z",
    "select * from a natural join b, lateral (select * from c where c.x = a.x) l",
    "copy (select * from t) to '/tmp/x'; create view v as select * from t union select * from u",
  };
  for (auto file : {"table_lineage.jsonl", "column_lineage.jsonl"}) {
    std::ifstream in(std::string(LINEAGE_CORPUS) + "/" + file);
    for (std::string line; std::getline(in, line);)
      if (!line.empty())
        out.push_back(nlohmann::json::parse(line)["sql"].get<std::string>());
  }
  return out;
}

void check(const std::string& sql) {
  analysis a;
  BOOST_REQUIRE_NO_THROW(a = analyze(sql));
  BOOST_REQUIRE_NO_THROW(to_json(a).dump());
  // The walk itself never fails on a tree the parser produced.
  BOOST_CHECK_MESSAGE(!a.parse_error || a.parse_error->rfind("analysis failed", 0) != 0,
                      *a.parse_error << " for: " << sql);
  if (!a.parse_error)
    for (auto& s : a.statements)
      BOOST_CHECK(!s.parse_error);
}

} // namespace

BOOST_AUTO_TEST_CASE(truncations_never_crash) {
  auto sqls = corpus();
  BOOST_TEST_MESSAGE(sqls.size() << " statements");
  std::mt19937 rng(42);
  size_t runs = 0;
  for (auto& sql : sqls) {
    // Every prefix of short texts, 40 random ones of long texts.
    if (sql.size() <= 200) {
      for (size_t n = 0; n <= sql.size(); ++n, ++runs)
        check(sql.substr(0, n));
    } else {
      for (int i = 0; i < 40; ++i, ++runs)
        check(sql.substr(0, std::uniform_int_distribution<size_t>(0, sql.size())(rng)));
    }
  }
  BOOST_TEST_MESSAGE(runs << " truncations");
}

BOOST_AUTO_TEST_CASE(mutations_never_crash) {
  auto sqls = corpus();
  std::mt19937 rng(7);
  const std::string alphabet = "();,.*'\"$ \n\t-/=<>|:[]{}\\\0\x80\xff" "abcselectfromwhere";
  for (auto& sql : sqls) {
    for (int i = 0; i < 20; ++i) {
      auto s = sql;
      int edits = 1 + static_cast<int>(rng() % 4);
      for (int e = 0; e < edits && !s.empty(); ++e) {
        size_t at = rng() % s.size();
        switch (rng() % 3) {
          case 0: s.erase(at, 1 + rng() % 8); break;
          case 1: s.insert(at, 1, alphabet[rng() % alphabet.size()]); break;
          default: s[at] = alphabet[rng() % alphabet.size()];
        }
      }
      check(s);
    }
  }
}

// The analysis cache (issue 14) hands out an analysis for every text of the
// same token shape: for the corpus, its variants in constants and spacing,
// and random mutations of both, a cached analysis must equal a fresh one
// (but for the text and normalized text, which are the first one's).
BOOST_AUTO_TEST_CASE(cached_analyses_equal_fresh_ones) {
  auto sqls = corpus();
  std::mt19937 rng(11);
  const std::string alphabet = "();,.*'\"$ \n\t-/=<>|:[]{}\\\x80" "0123456789eE" "abcselect";
  analysis_cache cache(100000);
  auto comparable = [](const analysis& a) {
    auto j = to_json(a);
    j.erase("text");
    j.erase("normalized");
    for (auto& st : j["statements"]) {
      st.erase("text");
      st.erase("normalized");
    }
    return j;
  };
  auto variants = [&](const std::string& sql) {
    std::vector<std::string> out{sql};
    auto digits = sql, spaced = sql;
    for (auto& c : digits)
      if (c >= '0' && c <= '9')
        c = static_cast<char>('0' + (c - '0' + 1 + rng() % 9) % 10);
    out.push_back(digits);
    for (size_t at = spaced.find(' '); at != std::string::npos; at = spaced.find(' ', at + 3))
      spaced.insert(at, rng() % 2 ? " " : "\t");
    out.push_back(spaced);
    for (int i = 0; i < 6; ++i) {
      auto m = out[rng() % 3];
      if (m.empty())
        continue;
      size_t at = rng() % m.size();
      switch (rng() % 3) {
        case 0: m.erase(at, 1 + rng() % 3); break;
        case 1: m.insert(at, 1, alphabet[rng() % alphabet.size()]); break;
        default: m[at] = alphabet[rng() % alphabet.size()];
      }
      out.push_back(m);
    }
    return out;
  };
  size_t texts = 0;
  for (auto& sql : sqls)
    for (auto& v : variants(sql)) {
      ++texts;
      auto cached = cache.analyze(v);
      auto fresh = analyze(v);
      BOOST_CHECK_MESSAGE(comparable(cached) == comparable(fresh), "for: " << v);
      BOOST_CHECK_EQUAL(cached.text, v);
    }
  BOOST_TEST_MESSAGE(texts << " texts, " << cache.hits() << " hits");
  BOOST_CHECK_GT(cache.hits(), sqls.size() / 2); // the variants in constants hit
}

BOOST_AUTO_TEST_CASE(odd_inputs) {
  check("");
  check(";;;");
  check(std::string(5000, '('));
  std::string deep = "select 1";
  for (int i = 0; i < 300; ++i)
    deep = "select * from (" + deep + ") s" + std::to_string(i);
  check(deep);
  std::string wide = "select ";
  for (int i = 0; i < 3000; ++i)
    wide += "c" + std::to_string(i) + (i + 1 < 3000 ? " + " : " from t");
  check(wide);
  check("select '\xff\xfe' from \"\xc3\x28\"");
}
