// Queries against a real PostgreSQL loaded with pagila (run under
// scripts/pg-test): limit, types, timeout, cancel, read-only mode, errors and
// the query log.
#define BOOST_TEST_MODULE connectors_postgresql_query
#define BOOST_TEST_DYN_LINK
#include "tests/connectors/connector_test_helpers.hpp"

#include <thread>

using namespace almanac;
using namespace almanac::connectors;
using namespace almanac::connectors::test;
using namespace std::chrono_literals;

namespace {

query_result must_query(connector& c, const std::string& sql, uint64_t limit = 1000) {
  query_options opts;
  opts.row_limit = limit;
  auto r = c.query(sql, opts);
  BOOST_REQUIRE_MESSAGE(r, sql << ": " << render(r.error()));
  return std::move(*r);
}

struct pagila_fixture {
  std::unique_ptr<connector> c = must_connect(pagila());
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(postgresql_query, pagila_fixture)

BOOST_AUTO_TEST_CASE(row_limit_sets_truncated) {
  auto r = must_query(*c, "SELECT film_id, title FROM film ORDER BY film_id", 10);
  BOOST_TEST(r.rows.size() == 10u);
  BOOST_TEST(r.truncated);
  BOOST_TEST((r.columns == std::vector<std::string>{"film_id", "title"}));
  BOOST_TEST(r.rows[9][0] == 10);
  auto all = must_query(*c, "SELECT film_id FROM film", 1000);
  BOOST_TEST(all.rows.size() == 1000u);
  BOOST_TEST(!all.truncated);
  auto none = must_query(*c, "SELECT 1 WHERE false", 0);
  BOOST_TEST(none.rows.empty());
  BOOST_TEST(!none.truncated);
  auto zero = must_query(*c, "SELECT 1", 0);
  BOOST_TEST(zero.rows.empty());
  BOOST_TEST(zero.truncated);
}

BOOST_AUTO_TEST_CASE(a_huge_result_is_not_fetched) {
  auto start = std::chrono::steady_clock::now();
  // 16,044 squared rows, streamed by a nested loop (no materialization).
  auto r = must_query(*c, "SELECT r1.rental_id, r2.rental_id FROM rental r1, rental r2", 5);
  BOOST_TEST(r.rows.size() == 5u);
  BOOST_TEST(r.truncated);
  BOOST_TEST((std::chrono::steady_clock::now() - start < 2s));
}

BOOST_AUTO_TEST_CASE(values_are_typed_json) {
  auto r = must_query(*c, "SELECT f.film_id, f.title, f.rental_rate, f.length::float8 / 2 AS half,"
                          " s.active, NULL::text AS nothing, f.last_update, f.rating,"
                          " 9000000000::bigint AS big, f.special_features"
                          " FROM film f, staff s WHERE f.film_id = 1 AND s.staff_id = 1");
  BOOST_REQUIRE(r.rows.size() == 1u);
  auto& row = r.rows[0];
  BOOST_TEST(row[0] == 1);
  BOOST_TEST(row[1] == "ACADEMY DINOSAUR");
  BOOST_TEST(row[2] == 0.99);
  BOOST_TEST(row[3] == 43.0);
  BOOST_TEST(row[4] == true);
  BOOST_TEST(row[5].is_null());
  BOOST_TEST(row[6].is_string());
  BOOST_TEST(row[7] == "PG");
  BOOST_TEST(row[8] == int64_t{9000000000});
  BOOST_TEST(row[9].is_string());
  BOOST_TEST((r.column_types
              == std::vector<std::string>{"integer", "text", "numeric", "double precision",
                                          "boolean", "text", "timestamp with time zone",
                                          "mpaa_rating", "bigint", "text[]"}));
  BOOST_TEST((r.duration >= 0ms));
}

BOOST_AUTO_TEST_CASE(statements_other_than_select_run_too) {
  auto r = must_query(*c, "SHOW statement_timeout");
  BOOST_TEST(r.rows.at(0).at(0) == "30s"); // the default timeout, set for the query
  auto e = must_query(*c, "EXPLAIN SELECT * FROM film");
  BOOST_TEST(!e.rows.empty());
  auto v = must_query(*c, "  /* hello */ (VALUES (1), (2), (3))", 2);
  BOOST_TEST(v.rows.size() == 2u);
  BOOST_TEST(v.truncated);
}

BOOST_AUTO_TEST_CASE(timeout_stops_a_slow_query) {
  query_options opts;
  opts.timeout = 300ms;
  auto start = std::chrono::steady_clock::now();
  auto r = c->query("SELECT pg_sleep(10)", opts);
  expect_error(r, ec::timeout, "300 ms");
  BOOST_TEST((std::chrono::steady_clock::now() - start < 3s));
  // A write statement is bounded as well.
  opts.read_only = false;
  expect_error(c->query("UPDATE film SET length = length WHERE pg_sleep(10) IS NULL", opts),
               ec::timeout);
  BOOST_TEST(must_query(*c, "SELECT 1").rows.at(0).at(0) == 1);
}

BOOST_AUTO_TEST_CASE(cancel_from_another_thread) {
  caf::expected<query_result> r{query_result{}};
  auto start = std::chrono::steady_clock::now();
  std::thread runner{[&] { r = c->query("SELECT pg_sleep(20)", {}); }};
  std::this_thread::sleep_for(300ms);
  c->cancel();
  runner.join();
  expect_error(r, ec::cancelled, "cancelled");
  BOOST_TEST((std::chrono::steady_clock::now() - start < 5s));
  // The connection is usable after, and a later query is not cancelled.
  BOOST_TEST(must_query(*c, "SELECT 2").rows.at(0).at(0) == 2);
  c->cancel(); // nothing runs: no effect
  BOOST_TEST(must_query(*c, "SELECT 3").rows.at(0).at(0) == 3);
}

BOOST_AUTO_TEST_CASE(writes_are_refused_in_read_only_mode) {
  auto msg = expect_error(c->query("INSERT INTO language (name) VALUES ('Klingon')", {}),
                          ec::forbidden, "read-only");
  BOOST_TEST_MESSAGE("refused: " << msg);
  expect_error(c->query("WITH gone AS (DELETE FROM film_actor RETURNING 1) "
                        "SELECT count(*) FROM gone", {}),
               ec::forbidden, "read-only");
  expect_error(c->query("CREATE TABLE public.t (i int)", {}), ec::forbidden, "read-only");
  // Several statements are refused (no COMMIT to get out of the transaction).
  expect_error(c->query("COMMIT; DELETE FROM film_actor", {}), ec::invalid_argument);
  BOOST_TEST(must_query(*c, "SELECT count(*) FROM film_actor").rows[0][0] == 5462);
  BOOST_TEST(must_query(*c, "SELECT count(*) FROM language").rows[0][0] == 6);
  // Writes work when asked for.
  auto w = must_run(*c, "UPDATE language SET name = name WHERE language_id = 1 "
                        "RETURNING language_id");
  BOOST_TEST(w.rows.at(0).at(0) == 1);
  auto cte = must_run(*c, "WITH up AS (UPDATE language SET name = name RETURNING 1) "
                          "SELECT count(*) FROM up");
  BOOST_TEST(cte.rows.at(0).at(0) == 6);
}

BOOST_AUTO_TEST_CASE(sql_errors_carry_the_server_message) {
  auto msg = expect_error(c->query("SELEC 1", {}), ec::invalid_argument, "syntax error");
  // A mistake in a SELECT is reported as the user's SQL, not our cursor's.
  msg = expect_error(c->query("SELECT 1 FROM FROM film", {}), ec::invalid_argument, "syntax error");
  BOOST_TEST(msg.find("DECLARE") == std::string::npos, msg);
  msg = expect_error(c->query("SELECT * FROM no_such_table", {}), ec::invalid_argument,
                     "relation \"no_such_table\" does not exist");
  BOOST_TEST(msg.rfind("ERROR", 0) != 0, msg);
  expect_error(c->query("SELECT pg_read_file('postgresql.conf')", {}), ec::forbidden,
               "permission denied");
  BOOST_TEST(must_query(*c, "SELECT 1").rows.size() == 1u);
}

BOOST_AUTO_TEST_CASE(query_log_from_pg_stat_statements) {
  must_query(*c, "SELECT count(*) FROM rental WHERE rental_id > 42");
  auto log = c->read_query_log(500);
  BOOST_REQUIRE_MESSAGE(log, render(log.error()));
  bool found = false;
  for (auto& e : *log)
    if (e.sql.find("FROM rental WHERE rental_id >") != std::string::npos) {
      found = true;
      BOOST_TEST(e.user == "almanac");
      BOOST_TEST(e.database == "pagila");
      BOOST_TEST(e.calls >= 1u);
    }
  BOOST_TEST(found);
  BOOST_TEST(c->read_query_log(1)->size() == 1u);
}

// Issue 13: pg_stat_statements keeps no search_path; the role's default in
// the database (ALTER ROLE ... IN DATABASE ... SET) is what the statement
// ran with, and it outranks the role's own default.
BOOST_AUTO_TEST_CASE(query_log_carries_the_roles_search_path) {
  auto su = must_connect(pagila_superuser());
  auto pw = pg_env("PGTEST_PASSWORD");
  must_run(*su, "DROP ROLE IF EXISTS almanac_sp");
  must_run(*su, "CREATE ROLE almanac_sp LOGIN PASSWORD '" + pw + "' IN ROLE pg_read_all_data");
  must_run(*su, "ALTER ROLE almanac_sp SET search_path = nowhere");
  must_run(*su, "ALTER ROLE almanac_sp IN DATABASE pagila SET search_path = \"$user\", public");
  {
    auto cfg = pagila();
    cfg.dsn += " user=almanac_sp";
    auto as = must_connect(cfg);
    must_query(*as, "SELECT count(*) FROM film WHERE film_id > 4242");
  }
  auto log = c->read_query_log(5000);
  must_run(*su, "DROP ROLE almanac_sp");
  BOOST_REQUIRE_MESSAGE(log, render(log.error()));
  bool found = false;
  for (auto& e : *log)
    if (e.sql.find("FROM film WHERE film_id >") != std::string::npos && e.user == "almanac_sp") {
      found = true;
      BOOST_TEST(e.search_path == "\"$user\", public");
    }
  BOOST_TEST(found);
}

BOOST_AUTO_TEST_CASE(query_log_unavailable_without_the_extension) {
  auto cfg = pagila_superuser();
  auto pos = cfg.dsn.find("dbname=pagila");
  cfg.dsn.replace(pos, 13, "dbname=postgres");
  auto other = must_connect(cfg);
  expect_error(other->read_query_log(10), ec::unavailable, "pg_stat_statements");
}

// Issue 10: Compose refuses privileged roles; the connector says which
// roles are, from the server's catalogs.
BOOST_AUTO_TEST_CASE(privileges_name_superusers_and_dangerous_memberships) {
  auto plain = c->privileges();
  BOOST_REQUIRE_MESSAGE(plain, render(plain.error()));
  BOOST_TEST(*plain == ""); // pg_read_all_data, pg_write_all_data, pg_read_all_stats
  auto su = must_connect(pagila_superuser());
  auto super = su->privileges();
  BOOST_REQUIRE_MESSAGE(super, render(super.error()));
  BOOST_TEST(*super == "connects as role 'postgres', a superuser");
  auto pw = pg_env("PGTEST_PASSWORD");
  for (auto sql : {"DROP ROLE IF EXISTS almanac_priv", "DROP ROLE IF EXISTS almanac_fn",
                   "DROP ROLE IF EXISTS almanac_su", "CREATE ROLE almanac_su SUPERUSER"})
    must_run(*su, sql);
  must_run(*su, "CREATE ROLE almanac_priv LOGIN PASSWORD '" + pw
                  + "' IN ROLE pg_read_server_files");
  must_run(*su, "CREATE ROLE almanac_fn LOGIN PASSWORD '" + pw + "'");
  must_run(*su, "GRANT EXECUTE ON FUNCTION pg_read_file(text) TO almanac_fn");
  auto as = [&](const std::string& role) {
    auto cfg = pagila();
    cfg.dsn += " user=" + role;
    return must_connect(cfg);
  };
  auto member = as("almanac_priv")->privileges();
  BOOST_REQUIRE_MESSAGE(member, render(member.error()));
  BOOST_TEST(*member == "connects as role 'almanac_priv', a member of pg_read_server_files");
  must_run(*su, "GRANT almanac_su TO almanac_priv");
  auto via = as("almanac_priv")->privileges();
  BOOST_REQUIRE_MESSAGE(via, render(via.error()));
  BOOST_TEST(*via == "connects as role 'almanac_priv', a member of the superuser role(s) almanac_su");
  auto fn = as("almanac_fn")->privileges();
  BOOST_REQUIRE_MESSAGE(fn, render(fn.error()));
  BOOST_TEST(*fn == "connects as role 'almanac_fn', which may execute pg_read_file");
  for (auto sql : {"DROP ROLE almanac_priv", "DROP ROLE almanac_su",
                   "REVOKE EXECUTE ON FUNCTION pg_read_file(text) FROM almanac_fn",
                   "DROP ROLE almanac_fn"})
    must_run(*su, sql);
}

BOOST_AUTO_TEST_SUITE_END()
