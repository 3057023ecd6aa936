#define BOOST_TEST_MODULE profiling_table_profiler
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "tests/profiling/fake_connector.hpp"
#include "tests/profiling/test_helpers.hpp"

#include "actors/profiling/sql.hpp"
#include "actors/profiling/table_profiler.hpp"

using namespace almanac;
using namespace almanac::profiling;
using almanac::profiling::test::fake_connector;
using almanac::profiling::test::full_read;
using almanac::profiling::test::why;
using nlohmann::json;

namespace {

/// A table "s"."t" of `n` rows: id 1..n, grp id % 10 (null when 0), name
/// "n<id % 100>", price "<id % 7>.50" as text (a NUMERIC column).
fake_connector table_of(size_t n) {
  fake_connector c;
  c.from = R"("s"."t")";
  c.columns = {"id", "grp", "name", "price"};
  c.types = {"integer", "integer", "text", "numeric(5,2)"};
  for (size_t i = 1; i <= n; ++i)
    c.rows.push_back({i, i % 10 == 0 ? json(nullptr) : json(i % 10),
                      "n" + std::to_string(i % 100), std::to_string(i % 7) + ".50"});
  return c;
}

bool logged(const fake_connector& c, const std::string& needle) {
  for (const auto& sql : c.log)
    if (sql.find(needle) != std::string::npos)
      return true;
  return false;
}

const std::vector<std::string> all_columns;

/// Samples of `n` rows in PostgreSQL's dialect.
profile_options postgresql_sample(uint64_t n) {
  profile_options opts;
  opts.dialect = sql_dialect::postgresql;
  opts.sample_size = n;
  return opts;
}

} // namespace

BOOST_AUTO_TEST_CASE(quotes_identifiers) {
  BOOST_CHECK_EQUAL(quote_identifier("film"), R"("film")");
  BOOST_CHECK_EQUAL(quote_identifier(R"(we"ird)"), R"("we""ird")");
  BOOST_CHECK_EQUAL(qualified_name("my schema", "t"), R"("my schema"."t")");
  BOOST_CHECK_EQUAL(qualified_name("", "t"), R"("t")");
  BOOST_CHECK_EQUAL(sql_literal(json("it's")), "'it''s'");
  BOOST_CHECK_EQUAL(sql_literal(json(42)), "42");
  BOOST_CHECK_EQUAL(select_list({"a", R"(b"c)"}), R"("a", "b""c")");
  BOOST_CHECK_EQUAL(keyset_page_sql("\"a\"", "\"t\"", {"\"k1\"", "\"k2\""},
                                    {json(1), json("x")}, 100),
                    R"(SELECT "a", "k1", "k2" FROM "t" WHERE ("k1", "k2") > (1, 'x'))"
                    R"( ORDER BY "k1", "k2" LIMIT 100)");
}

BOOST_AUTO_TEST_CASE(small_table_is_read_in_full) {
  auto c = table_of(100);
  std::atomic<bool> cancel{false};
  auto r = profile_table(c, "s", "t", all_columns, profile_options{}, cancel);
  BOOST_REQUIRE_MESSAGE(r, why(r));
  BOOST_CHECK_EQUAL((*r)["table_row_count"], 100);
  BOOST_CHECK_EQUAL((*r)["sampled"], false);
  BOOST_CHECK_EQUAL((*r)["method"], "full");
  auto id = (*r)["columns"]["id"];
  BOOST_CHECK_EQUAL(id["row_count"], 100);
  BOOST_CHECK_EQUAL(id["distinct_count"], 100);
  BOOST_CHECK_EQUAL(id["min"], 1);
  BOOST_CHECK_EQUAL(id["max"], 100);
  BOOST_CHECK_EQUAL(id["sampled"], false);
  auto grp = (*r)["columns"]["grp"];
  BOOST_CHECK_EQUAL(grp["null_count"], 10);
  BOOST_CHECK_EQUAL(grp["distinct_count"], 9);
  auto price = (*r)["columns"]["price"];
  BOOST_CHECK_EQUAL(price["kind"], "number"); // numeric text read as numbers
  BOOST_CHECK_EQUAL(price["min"], 0.5);
  BOOST_CHECK_EQUAL(price["max"], 6.5);
  BOOST_CHECK(!logged(c, "random()"));
}

BOOST_AUTO_TEST_CASE(large_table_is_sampled) {
  auto c = table_of(25'000);
  std::atomic<bool> cancel{false};
  std::vector<std::pair<uint64_t, uint64_t>> seen;
  auto r = profile_table(c, "s", "t", {"id", "name"}, profile_options{}, cancel,
                         [&](uint64_t done, uint64_t total) { seen.emplace_back(done, total); });
  BOOST_REQUIRE_MESSAGE(r, why(r));
  BOOST_CHECK_EQUAL((*r)["table_row_count"], 25'000);
  BOOST_CHECK_EQUAL((*r)["sampled"], true);
  BOOST_CHECK_EQUAL((*r)["sample_size"], 10'000);
  BOOST_CHECK_EQUAL((*r)["method"], "sample");
  BOOST_CHECK_EQUAL((*r)["columns"].size(), 2u);
  auto id = (*r)["columns"]["id"];
  BOOST_CHECK_EQUAL(id["sampled"], true);
  BOOST_CHECK_EQUAL(id["sample_size"], 10'000);
  // The table's figures, not the sample's (issue 10 item 14.3): the real
  // row count, and distinct counts estimated, never exact.
  BOOST_CHECK_EQUAL(id["row_count"], 25'000);
  BOOST_CHECK_EQUAL(id["null_count"], 0);
  BOOST_CHECK_EQUAL(id["distinct_exact"], false);
  BOOST_CHECK_EQUAL(id["distinct_method"], "sample_estimate");
  BOOST_CHECK_EQUAL(id["sample_distinct_count"], 10'000);
  BOOST_CHECK_EQUAL(id["distinct_count"], 25'000); // unique in the sample: a key
  BOOST_CHECK_EQUAL(id["top_values_exact"], false);
  BOOST_CHECK_EQUAL(id["histogram"]["exact"], false);
  auto name = (*r)["columns"]["name"];
  BOOST_CHECK_EQUAL(name["row_count"], 25'000);
  BOOST_CHECK_EQUAL(name["distinct_count"], 100); // every value repeats in the sample
  BOOST_CHECK_EQUAL(name["distinct_exact"], false);
  BOOST_CHECK(logged(c, R"(SELECT "id", "name" FROM "s"."t" ORDER BY random() LIMIT 10000)"));
  BOOST_REQUIRE(!seen.empty());
  BOOST_CHECK(seen.back() == std::make_pair(uint64_t{10'000}, uint64_t{10'000}));
}

BOOST_AUTO_TEST_CASE(postgresql_presamples_with_tablesample_and_falls_back) {
  auto c = table_of(25'000);
  std::atomic<bool> cancel{false};
  auto opts = postgresql_sample(1000);
  auto r = profile_table(c, "s", "t", {"id"}, opts, cancel);
  BOOST_REQUIRE_MESSAGE(r, why(r));
  // 1000 + 6 sqrt(1000) + 50 = 1239.7 rows of 25,000: 4.96 %.
  BOOST_CHECK(logged(c, R"(SELECT "id" FROM "s"."t" AS "almanac$row" TABLESAMPLE BERNOULLI (4.9)"));
  BOOST_CHECK(logged(c, R"() REPEATABLE (14) ORDER BY md5("almanac$row"::text) LIMIT 1000)"));
  BOOST_CHECK_EQUAL((*r)["sample_size"], 1000);
  // A view cannot be TABLESAMPLEd: the plain (still repeatable) sample follows.
  c.log.clear();
  c.fail_on = "TABLESAMPLE";
  r = profile_table(c, "s", "t", {"id"}, opts, cancel);
  BOOST_REQUIRE_MESSAGE(r, why(r));
  BOOST_CHECK(logged(c, R"(SELECT "id" FROM "s"."t" AS "almanac$row" ORDER BY md5("almanac$row"::text) LIMIT 1000)"));
  BOOST_CHECK_EQUAL((*r)["sample_size"], 1000);
}

BOOST_AUTO_TEST_CASE(postgresql_samples_are_repeatable) {
  // Profiling an unchanged table twice gives the same figures (issue 10
  // item 14.4: no new events for a re-profile that found nothing new).
  auto c = table_of(25'000);
  std::atomic<bool> cancel{false};
  auto opts = postgresql_sample(1000);
  auto a = profile_table(c, "s", "t", all_columns, opts, cancel);
  auto b = profile_table(c, "s", "t", all_columns, opts, cancel);
  BOOST_REQUIRE_MESSAGE(a && b, why(a) << " " << why(b));
  BOOST_CHECK_EQUAL(*a, *b);
  BOOST_CHECK(!logged(c, "random()"));
}

BOOST_AUTO_TEST_CASE(personal_data_keeps_counts_but_no_raw_values) {
  fake_connector c;
  c.from = R"("s"."customer")";
  c.columns = {"customer_id", "email", "first_name", "contact", "title", "address_id"};
  c.types = {"integer", "text", "text", "text", "text", "integer"};
  for (int i = 1; i <= 40; ++i)
    c.rows.push_back({i, "user" + std::to_string(i % 30) + "@example.com",
                      i % 5 == 0 ? json(nullptr) : json("Name" + std::to_string(i % 7)),
                      i % 4 == 0 ? std::string{"n/a"} : "+1 555 010 " + std::to_string(1000 + i),
                      "Title " + std::to_string(i % 3), i % 10});
  std::atomic<bool> cancel{false};
  auto r = profile_table(c, "s", "customer", all_columns, profile_options{}, cancel);
  BOOST_REQUIRE_MESSAGE(r, why(r));
  auto& cols = (*r)["columns"];
  auto expect_redacted = [&](const char* name, const char* kind, const char* reason,
                             const char* raw) {
    const auto& p = cols[name];
    BOOST_TEST_CONTEXT(name << ": " << p) {
      BOOST_CHECK_EQUAL(p["pii"]["kind"], kind);
      BOOST_CHECK_EQUAL(p["pii"]["reason"], reason);
      BOOST_CHECK_EQUAL(p["pii"]["raw_values"], false);
      BOOST_CHECK_EQUAL(p["top_values"], json::array());
      BOOST_CHECK(p["min"].is_null());
      BOOST_CHECK(p["max"].is_null());
      BOOST_CHECK_EQUAL(p["row_count"], 40);
      BOOST_CHECK(p["distinct_count"].get<int>() > 0);
      BOOST_CHECK(p["length"].is_object()); // lengths stay
      BOOST_CHECK(p["histogram"].is_null() || p["histogram"]["of"] == "length");
      BOOST_CHECK(p.dump().find(raw) == std::string::npos);
    }
  };
  expect_redacted("email", "email", "name", "@example.com");
  expect_redacted("first_name", "name", "name", "Name");
  expect_redacted("contact", "phone", "content", "+1 555"); // 30 of 40 look like phones
  BOOST_CHECK_EQUAL(cols["first_name"]["null_count"], 8);
  BOOST_CHECK_EQUAL(cols["email"]["distinct_count"], 30);
  for (auto name : {"customer_id", "title", "address_id"}) {
    BOOST_TEST_CONTEXT(name) {
      BOOST_CHECK(!cols[name].contains("pii"));
      BOOST_CHECK(!cols[name]["top_values"].empty());
      BOOST_CHECK(!cols[name]["min"].is_null());
    }
  }
  // An admin's allowance keeps a column's raw values, marked as such.
  profile_options allowed;
  allowed.raw_value_columns = {"email"};
  r = profile_table(c, "s", "customer", all_columns, allowed, cancel);
  BOOST_REQUIRE_MESSAGE(r, why(r));
  const auto& email = (*r)["columns"]["email"];
  BOOST_CHECK_EQUAL(email["pii"]["raw_values"], true);
  BOOST_CHECK_EQUAL(email["top_values"].size(), 10u);
  BOOST_CHECK_EQUAL(email["min"], "user0@example.com");
  BOOST_CHECK((*r)["columns"]["first_name"]["min"].is_null());
}

BOOST_AUTO_TEST_CASE(full_read_pages_by_key) {
  auto c = table_of(25'000);
  std::atomic<bool> cancel{false};
  auto opts = full_read(1000, sql_dialect::generic, {"id"});
  auto r = profile_table(c, "s", "t", {"grp", "name"}, opts, cancel);
  BOOST_REQUIRE_MESSAGE(r, why(r));
  BOOST_CHECK_EQUAL((*r)["sampled"], false);
  BOOST_CHECK_EQUAL((*r)["sample_size"], 25'000);
  BOOST_CHECK_EQUAL((*r)["columns"]["grp"]["null_count"], 2500);
  BOOST_CHECK_EQUAL((*r)["columns"]["name"]["distinct_count"], 100);
  BOOST_CHECK(logged(c, R"(SELECT "grp", "name", "id" FROM "s"."t" WHERE "id" > 24000)"
                        R"( ORDER BY "id" LIMIT 1000)"));
  // Probe, count, 26 pages (the last one empty); never more than a page.
  BOOST_CHECK_EQUAL(c.log.size(), 28u);
  for (auto limit : c.limits)
    BOOST_CHECK_LE(limit, 1000u);
}

BOOST_AUTO_TEST_CASE(full_read_without_key_pages_by_offset_in_a_total_order) {
  auto c = table_of(2500);
  std::atomic<bool> cancel{false};
  auto opts = full_read(1000);
  auto r = profile_table(c, "s", "t", all_columns, opts, cancel);
  BOOST_REQUIRE_MESSAGE(r, why(r));
  BOOST_CHECK_EQUAL((*r)["columns"]["id"]["distinct_count"], 2500);
  BOOST_CHECK_EQUAL((*r)["columns"]["id"]["max"], 2500);
  BOOST_CHECK(logged(c, R"(FROM "s"."t" ORDER BY 1, 2, 3, 4 LIMIT 1000 OFFSET 2000)"));
}

BOOST_AUTO_TEST_CASE(unorderable_columns_are_read_in_one_query) {
  auto c = table_of(2500);
  c.fail_on = "ORDER BY 1"; // as PostgreSQL refuses to sort json or point
  std::atomic<bool> cancel{false};
  auto r = profile_table(c, "s", "t", {"id"}, full_read(1000), cancel);
  BOOST_REQUIRE_MESSAGE(r, why(r));
  BOOST_CHECK_EQUAL((*r)["columns"]["id"]["distinct_count"], 2500);
  BOOST_CHECK_EQUAL(c.log.back(), R"(SELECT "id" FROM "s"."t")");
  BOOST_CHECK_EQUAL(c.limits.back(), 3500u); // the count and a page of slack
}

BOOST_AUTO_TEST_CASE(sqlite_pages_by_rowid_unless_there_is_none) {
  auto c = table_of(2500);
  std::atomic<bool> cancel{false};
  auto opts = full_read(1000, sql_dialect::sqlite);
  auto r = profile_table(c, "", "t", {"id"}, opts, cancel);
  BOOST_CHECK(!r); // the fake's table is "s"."t"
  c.from = R"("t")";
  r = profile_table(c, "", "t", {"id"}, opts, cancel);
  BOOST_REQUIRE_MESSAGE(r, why(r));
  BOOST_CHECK(logged(c, R"(SELECT "id", rowid FROM "t" WHERE rowid > 2000 ORDER BY rowid)"));
  BOOST_CHECK_EQUAL((*r)["columns"]["id"]["distinct_count"], 2500);
  c.log.clear();
  c.fail_on = "rowid"; // a view
  r = profile_table(c, "", "t", {"id"}, opts, cancel);
  BOOST_REQUIRE_MESSAGE(r, why(r));
  BOOST_CHECK(logged(c, R"(SELECT "id" FROM "t" ORDER BY 1 LIMIT 1000 OFFSET 2000)"));
  BOOST_CHECK_EQUAL((*r)["columns"]["id"]["distinct_count"], 2500);
}

BOOST_AUTO_TEST_CASE(quoted_names_reach_the_source) {
  fake_connector c;
  c.from = R"("my""schema"."ta ble")";
  c.columns = {R"(a"b)"};
  c.rows = {json::array({1}), json::array({2})};
  std::atomic<bool> cancel{false};
  auto r = profile_table(c, R"(my"schema)", "ta ble", all_columns, profile_options{}, cancel);
  BOOST_REQUIRE_MESSAGE(r, why(r));
  BOOST_CHECK_EQUAL((*r)["columns"][R"(a"b)"]["max"], 2);
  BOOST_CHECK(logged(c, R"(SELECT "a""b" FROM "my""schema"."ta ble")"));
}

BOOST_AUTO_TEST_CASE(cancel_stops_between_pages) {
  auto c = table_of(25'000);
  std::atomic<bool> cancel{false};
  c.cancel_flag = &cancel;
  c.cancel_after = 4;
  auto opts = full_read(1000, sql_dialect::generic, {"id"});
  auto r = profile_table(c, "s", "t", all_columns, opts, cancel);
  BOOST_REQUIRE(!r);
  BOOST_CHECK(code_of(r.error()) == ec::cancelled);
  BOOST_CHECK_EQUAL(c.log.size(), 4u);
}

BOOST_AUTO_TEST_CASE(connector_errors_pass_through) {
  auto c = table_of(10);
  c.fail_on = "count(*)";
  c.fail_with = ec::unavailable;
  std::atomic<bool> cancel{false};
  auto r = profile_table(c, "s", "t", all_columns, profile_options{}, cancel);
  BOOST_REQUIRE(!r);
  BOOST_CHECK(code_of(r.error()) == ec::unavailable);
  profile_options zero;
  zero.page_size = 0;
  r = profile_table(c, "s", "t", all_columns, zero, cancel);
  BOOST_REQUIRE(!r);
  BOOST_CHECK(code_of(r.error()) == ec::invalid_argument);
}
