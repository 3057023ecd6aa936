#define BOOST_TEST_MODULE profiling_column_stats
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "actors/profiling/column_stats.hpp"
#include "actors/profiling/space_saving.hpp"
#include "actors/profiling/value_key.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

using namespace almanac::profiling;
using nlohmann::json;

namespace {

json profile_of(const json& values, column_stats_options opts = {}) {
  column_stats s{opts};
  for (const auto& v : values)
    s.add(v);
  return s.profile();
}

} // namespace

BOOST_AUTO_TEST_CASE(numbers_exact_figures) {
  auto p = profile_of(json::parse("[1, 2, 3, 4, null, 4]"));
  BOOST_CHECK_EQUAL(p["row_count"], 6);
  BOOST_CHECK_EQUAL(p["null_count"], 1);
  BOOST_CHECK_CLOSE(p["null_fraction"].get<double>(), 1.0 / 6, 1e-12);
  BOOST_CHECK_EQUAL(p["kind"], "number");
  BOOST_CHECK_EQUAL(p["distinct_count"], 4);
  BOOST_CHECK_EQUAL(p["distinct_exact"], true);
  BOOST_CHECK(p["distinct_error"].is_null());
  BOOST_CHECK_EQUAL(p["min"], 1);
  BOOST_CHECK_EQUAL(p["max"], 4);
  BOOST_CHECK_CLOSE(p["mean"].get<double>(), 2.8, 1e-12);
  BOOST_CHECK_CLOSE(p["stddev"].get<double>(), std::sqrt(6.8 / 4), 1e-12);
  BOOST_CHECK_CLOSE(p["stddev_pop"].get<double>(), std::sqrt(6.8 / 5), 1e-12);
  BOOST_CHECK(p["length"].is_null());
  BOOST_CHECK_EQUAL(p["top_values"],
                    json::parse(R"([{"value":4,"count":2},{"value":1,"count":1},
                                    {"value":2,"count":1},{"value":3,"count":1}])"));
  BOOST_CHECK_EQUAL(p["top_values_exact"], true);
  BOOST_CHECK_EQUAL(p["top_values_method"], "exact");
  auto h = p["histogram"];
  BOOST_CHECK_EQUAL(h["of"], "value");
  BOOST_CHECK_EQUAL(h["min"], 1.0);
  BOOST_CHECK_EQUAL(h["max"], 4.0);
  BOOST_CHECK_EQUAL(h["counts"], json::parse("[1,0,0,1,0,0,1,0,0,2]"));
  BOOST_CHECK_EQUAL(h["exact"], true);
  BOOST_CHECK_EQUAL(p["sampled"], false);
  BOOST_CHECK_EQUAL(p["sample_size"], 6);
}

BOOST_AUTO_TEST_CASE(integral_floats_are_the_same_value) {
  auto p = profile_of(json::parse("[1, 1.0, 2.5, -0.0, 0, 18446744073709551615]"));
  BOOST_CHECK_EQUAL(p["distinct_count"], 4);
  BOOST_CHECK_EQUAL(p["top_values"][0], json::parse(R"({"value":0,"count":2})"));
  BOOST_CHECK_EQUAL(p["top_values"][1], json::parse(R"({"value":1,"count":2})"));
  BOOST_CHECK_EQUAL(p["max"].get<uint64_t>(), 18446744073709551615ULL);
  BOOST_CHECK_EQUAL(p["min"], 0);
}

BOOST_AUTO_TEST_CASE(large_integers_compare_exactly) {
  // 2^53 + 1 and 2^53 are one double apart from nothing: compare as integers.
  auto p = profile_of(json::parse("[9007199254740993, 9007199254740992]"));
  BOOST_CHECK_EQUAL(p["min"].get<int64_t>(), 9007199254740992LL);
  BOOST_CHECK_EQUAL(p["max"].get<int64_t>(), 9007199254740993LL);
  BOOST_CHECK_EQUAL(p["distinct_count"], 2);
  auto neg = profile_of(json::parse("[-5, 3, 18446744073709551615, -9223372036854775808]"));
  BOOST_CHECK_EQUAL(neg["min"].get<int64_t>(), INT64_MIN);
  BOOST_CHECK_EQUAL(neg["max"].get<uint64_t>(), UINT64_MAX);
}

BOOST_AUTO_TEST_CASE(text_exact_figures) {
  auto p = profile_of(json::parse(R"(["apple", "Äpfel", "", "banana", "apple", null])"));
  BOOST_CHECK_EQUAL(p["kind"], "string");
  BOOST_CHECK_EQUAL(p["row_count"], 6);
  BOOST_CHECK_EQUAL(p["null_count"], 1);
  BOOST_CHECK_EQUAL(p["distinct_count"], 4);
  BOOST_CHECK_EQUAL(p["min"], "");
  BOOST_CHECK_EQUAL(p["max"], "Äpfel"); // code point order: U+00C4 > 'b'
  BOOST_CHECK(p["mean"].is_null());
  BOOST_CHECK(p["stddev"].is_null());
  BOOST_CHECK_EQUAL(p["length"]["min"], 0);
  BOOST_CHECK_EQUAL(p["length"]["max"], 6);
  BOOST_CHECK_CLOSE(p["length"]["mean"].get<double>(), 21.0 / 5, 1e-12);
  BOOST_CHECK_EQUAL(p["top_values"][0], json::parse(R"({"value":"apple","count":2})"));
  BOOST_CHECK_EQUAL(p["histogram"]["of"], "length");
  BOOST_CHECK_EQUAL(p["histogram"]["counts"], json::parse("[1,0,0,0,0,0,0,0,3,1]"));
}

BOOST_AUTO_TEST_CASE(booleans_nulls_and_mixed) {
  auto b = profile_of(json::parse("[true, false, true, null]"));
  BOOST_CHECK_EQUAL(b["kind"], "boolean");
  BOOST_CHECK_EQUAL(b["min"], false);
  BOOST_CHECK_EQUAL(b["max"], true);
  BOOST_CHECK_EQUAL(b["top_values"][0], json::parse(R"({"value":true,"count":2})"));
  BOOST_CHECK(b["histogram"].is_null());

  auto n = profile_of(json::parse("[null, null]"));
  BOOST_CHECK_EQUAL(n["kind"], "null");
  BOOST_CHECK_EQUAL(n["null_fraction"], 1.0);
  BOOST_CHECK_EQUAL(n["distinct_count"], 0);
  BOOST_CHECK(n["min"].is_null());
  BOOST_CHECK_EQUAL(n["top_values"], json::array());

  auto e = profile_of(json::array());
  BOOST_CHECK_EQUAL(e["row_count"], 0);
  BOOST_CHECK_EQUAL(e["null_fraction"], 0.0);

  // SQLite's order for mixed columns: numbers before text.
  auto m = profile_of(json::parse(R"([10, "a", 2, "b"])"));
  BOOST_CHECK_EQUAL(m["kind"], "mixed");
  BOOST_CHECK_EQUAL(m["min"], 2);
  BOOST_CHECK_EQUAL(m["max"], "b");
  BOOST_CHECK_EQUAL(m["mean"], 6.0);
}

BOOST_AUTO_TEST_CASE(numeric_strings_read_as_numbers) {
  column_stats_options opts;
  opts.numeric_strings = true;
  auto p = profile_of(json::parse(R"(["4.99", "10.00", "0.99", "10", null])"), opts);
  BOOST_CHECK_EQUAL(p["kind"], "number");
  BOOST_CHECK_EQUAL(p["min"], 0.99);
  BOOST_CHECK_EQUAL(p["max"], 10.0);
  BOOST_CHECK_EQUAL(p["distinct_count"], 3); // 10.00 == 10
  BOOST_CHECK_CLOSE(p["mean"].get<double>(), (4.99 + 10 + 0.99 + 10) / 4, 1e-12);
}

BOOST_AUTO_TEST_CASE(switches_to_sketches_past_the_exact_limit) {
  column_stats_options opts;
  opts.exact_distinct_limit = 1000;
  column_stats s{opts};
  const int n = 50'000;
  for (int i = 0; i < n; ++i)
    s.add(i % 7 == 0 ? json(nullptr) : json(i));
  auto p = s.profile();
  BOOST_CHECK(!s.exact());
  BOOST_CHECK_EQUAL(p["distinct_exact"], false);
  BOOST_CHECK_CLOSE(p["distinct_error"].get<double>(), 1.04 / 128, 1e-9);
  double truth = n - (n + 6) / 7;
  double err = std::abs(p["distinct_count"].get<double>() - truth) / truth;
  BOOST_TEST_MESSAGE("estimate " << p["distinct_count"] << " of " << truth);
  BOOST_CHECK_LE(err, 3 * 1.04 / 128);
  BOOST_CHECK_EQUAL(p["top_values_exact"], false);
  BOOST_CHECK_EQUAL(p["top_values_method"], "space_saving");
  // Everything else stays exact.
  BOOST_CHECK_EQUAL(p["null_count"], (n + 6) / 7);
  BOOST_CHECK_EQUAL(p["min"], 1);
  BOOST_CHECK_EQUAL(p["max"], n - 1);
  BOOST_CHECK_EQUAL(p["histogram"]["exact"], false);
  BOOST_CHECK_EQUAL(p["histogram"]["sample_size"], defaults::reservoir_size);
  uint64_t total = 0;
  for (auto c : p["histogram"]["counts"])
    total += c.get<uint64_t>();
  BOOST_CHECK_EQUAL(total, defaults::reservoir_size);
}

BOOST_AUTO_TEST_CASE(byte_limit_also_switches) {
  column_stats_options opts;
  opts.exact_bytes_limit = 10'000;
  column_stats s{opts};
  for (int i = 0; i < 200; ++i)
    s.add(std::string(100, 'a' + i % 26) + std::to_string(i));
  BOOST_CHECK(!s.exact());
}

BOOST_AUTO_TEST_CASE(space_saving_top_k_on_skewed_data) {
  // Value v occurs floor(20000 / v) times (Zipf, s = 1) for v in 1..20000:
  // about 200,000 rows, 20,000 distinct, in a shuffled order.
  std::vector<int> stream;
  std::map<int, uint64_t> truth;
  for (int v = 1; v <= 20'000; ++v) {
    truth[v] = 20'000 / v;
    stream.insert(stream.end(), truth[v], v);
  }
  std::shuffle(stream.begin(), stream.end(), std::mt19937{42});
  column_stats_options opts;
  opts.exact_distinct_limit = 500; // sketches from early on
  opts.space_saving_capacity = 200;
  column_stats s{opts};
  for (auto v : stream)
    s.add(v);
  auto top = s.profile()["top_values"];
  BOOST_REQUIRE_EQUAL(top.size(), 10u);
  for (int i = 0; i < 10; ++i) {
    auto v = top[i]["value"].get<int>();
    auto count = top[i]["count"].get<uint64_t>();
    auto error = top[i]["count_error"].get<uint64_t>();
    BOOST_TEST_CONTEXT("rank " << i << ": " << top[i]) {
      BOOST_CHECK_EQUAL(v, i + 1);
      BOOST_CHECK_LE(truth[v], count);
      BOOST_CHECK_LE(count - error, truth[v]);
      // Overestimate at most total / capacity.
      BOOST_CHECK_LE(error, stream.size() / opts.space_saving_capacity);
    }
  }
}

BOOST_AUTO_TEST_CASE(space_saving_guarantees) {
  space_saving ss{3};
  for (auto k : {"a", "a", "a", "b", "b", "c", "d"})
    ss.add(k);
  // "d" evicted the smallest (c, 1): d counts 2 with error 1.
  auto top = ss.top(3);
  BOOST_REQUIRE_EQUAL(top.size(), 3u);
  BOOST_CHECK_EQUAL(top[0].key, "a");
  BOOST_CHECK_EQUAL(top[0].count, 3u);
  BOOST_CHECK_EQUAL(top[0].error, 0u);
  BOOST_CHECK_EQUAL(top[1].key, "b");
  BOOST_CHECK_EQUAL(top[2].key, "d");
  BOOST_CHECK_EQUAL(top[2].count, 2u);
  BOOST_CHECK_EQUAL(top[2].error, 1u);
  BOOST_CHECK_EQUAL(ss.total(), 7u);
}

BOOST_AUTO_TEST_CASE(value_keys_round_trip) {
  for (auto v : json::parse(R"([true, false, 0, -17, 18446744073709551615, 0.1, -2.5e-300, "x", ""])"))
    BOOST_CHECK_EQUAL(key_value(value_key(v)), v);
  BOOST_CHECK_EQUAL(value_key(json(3.0)), value_key(json(3)));
  BOOST_CHECK_NE(value_key(json("3")), value_key(json(3)));
  BOOST_CHECK_EQUAL(utf8_length("naïve €"), 7u);
}

BOOST_AUTO_TEST_CASE(duj1_estimates_distinct_values_of_the_table) {
  // Unique in the sample: as unique in the table.
  BOOST_CHECK_EQUAL(estimate_distinct(1000, 1000, 1000, 16049), 16049u);
  // Every value repeats in the sample: the sample saw them all.
  BOOST_CHECK_EQUAL(estimate_distinct(1000, 20, 0, 16049), 20u);
  // In between: more than the sample saw, fewer than the table's rows.
  auto mid = estimate_distinct(1000, 600, 300, 10000);
  BOOST_CHECK_GT(mid, 600u);
  BOOST_CHECK_LT(mid, 10000u);
  BOOST_CHECK_EQUAL(estimate_distinct(0, 0, 0, 100), 0u);
  BOOST_CHECK_EQUAL(estimate_distinct(10, 7, 5, 10), 7u); // the sample is the table
}

BOOST_AUTO_TEST_CASE(a_sampled_profile_describes_the_table) {
  column_stats s;
  for (int i = 0; i < 1000; ++i)
    s.add(i % 10 == 0 ? json(nullptr) : json(i)); // 900 unique values, 100 nulls
  auto p = s.sampled_profile(16049);
  BOOST_CHECK_EQUAL(p["row_count"], 16049);
  BOOST_CHECK_EQUAL(p["sample_null_count"], 100);
  BOOST_CHECK_EQUAL(p["null_count"], 1605); // 10 % of the table
  BOOST_CHECK_CLOSE(p["null_fraction"].get<double>(), 0.1, 1e-9);
  BOOST_CHECK_EQUAL(p["sample_distinct_count"], 900);
  BOOST_CHECK_EQUAL(p["distinct_count"], 16049 - 1605);
  BOOST_CHECK_EQUAL(p["distinct_exact"], false);
  BOOST_CHECK_EQUAL(p["distinct_method"], "sample_estimate");
  BOOST_CHECK_EQUAL(p["top_values_exact"], false);
  BOOST_CHECK_EQUAL(p["histogram"]["exact"], false);
  BOOST_CHECK_EQUAL(s.profile()["distinct_exact"], true); // the sample itself: exact
  BOOST_CHECK_EQUAL(s.profile()["distinct_method"], "exact");
}
