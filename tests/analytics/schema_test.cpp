// The analytics schema against a real PostgreSQL (scripts/pg-test run --):
// creation at the newest version, migration of an older one, refusal of a
// newer one, and the reader role's privileges.

#define BOOST_TEST_MODULE analytics_schema
#include <boost/test/unit_test.hpp>

#include "actors/analytics/domain/schema.hpp"

#include <pqxx/pqxx>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

using namespace almanac::analytics;

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

const std::vector<std::string> tables = {
  "schema_version", "projection_state", "dim_users", "dim_entities", "dim_sources",
  "dim_dates", "fact_entity_views", "fact_searches", "fact_query_executions",
  "fact_curation_edits", "fact_jobs", "fact_extraction_runs", "fact_profiling_runs",
  "fact_logins", "fact_lineage_edges", "fact_compose_executions"};
const std::vector<std::string> views = {
  "activity", "active_users_daily", "active_users_weekly", "active_users_monthly",
  "top_entities_viewed_90d", "top_entities_queried_90d", "top_users",
  "searches_without_results", "curation_coverage", "adoption_over_time"};

struct pg {
  pqxx::connection conn{env("PGTEST_DSN")};

  int count(const std::string& sql, const std::string& schema) {
    pqxx::work tx(conn);
    return tx.exec_params1(sql, schema)[0].as<int>();
  }
  int index_count(const std::string& schema) {
    return count("SELECT count(*) FROM pg_indexes WHERE schemaname = $1 "
                 "AND indexname NOT LIKE '%_pkey' AND indexname NOT LIKE '%_key'",
                 schema);
  }
  void drop(const std::string& schema) {
    pqxx::work tx(conn);
    tx.exec("DROP SCHEMA IF EXISTS " + quote_ident(schema) + " CASCADE");
    tx.commit();
  }
};

} // namespace

BOOST_AUTO_TEST_CASE(a_new_schema_is_created_at_the_newest_version) {
  BOOST_REQUIRE_MESSAGE(!env("PGTEST_DSN").empty(), "run under scripts/pg-test run --");
  pg db;
  const std::string s = "analytics_fresh";
  db.drop(s);
  auto m = migrate(db.conn, s);
  BOOST_REQUIRE_MESSAGE(m.ok(), m.error);
  BOOST_TEST(m.from == 0);
  BOOST_TEST(m.to == schema_version);
  BOOST_TEST(version_of(db.conn, s) == schema_version);
  for (auto& t : tables)
    BOOST_TEST(db.count("SELECT count(*) FROM pg_tables WHERE schemaname = $1 AND tablename = '" +
                          t + "'",
                        s) == 1,
               t);
  for (auto& v : views)
    BOOST_TEST(db.count("SELECT count(*) FROM pg_views WHERE schemaname = $1 AND viewname = '" +
                          v + "'",
                        s) == 1,
               v);
  // Every view runs on the empty schema.
  for (auto& v : views) {
    pqxx::work tx(db.conn);
    BOOST_CHECK_NO_THROW(tx.exec("SELECT * FROM " + quote_ident(s) + "." + v));
  }
  // Again: nothing to do.
  auto again = migrate(db.conn, s);
  BOOST_REQUIRE_MESSAGE(again.ok(), again.error);
  BOOST_TEST(again.from == schema_version);
  BOOST_TEST(again.to == schema_version);
  BOOST_TEST(db.count("SELECT count(*) FROM pg_namespace WHERE nspname = $1", s) == 1);
  db.drop(s);
}

BOOST_AUTO_TEST_CASE(an_older_schema_is_migrated) {
  pg db;
  const std::string s = "analytics \"older\""; // quoting survives
  db.drop(s);
  auto v1 = migrate(db.conn, s, 1);
  BOOST_REQUIRE_MESSAGE(v1.ok(), v1.error);
  BOOST_TEST(v1.to == 1);
  BOOST_TEST(db.index_count(s) == 0);
  {
    pqxx::work tx(db.conn);
    tx.exec("INSERT INTO " + quote_ident(s) + ".fact_searches VALUES "
            "(7, 0, now(), 'ann', 'nothing here', 2, 0)");
    tx.commit();
  }
  auto v2 = migrate(db.conn, s);
  BOOST_REQUIRE_MESSAGE(v2.ok(), v2.error);
  BOOST_TEST(v2.from == 1);
  BOOST_TEST(v2.to == schema_version);
  BOOST_TEST(db.index_count(s) > 0);
  // The rows are kept, and the views read them.
  pqxx::work tx(db.conn);
  auto r = tx.exec("SELECT text, count FROM " + quote_ident(s) + ".searches_without_results");
  BOOST_REQUIRE(r.size() == 1u);
  BOOST_TEST(r[0][0].as<std::string>() == "nothing here");
  BOOST_TEST(r[0][1].as<int>() == 2);
  tx.commit();
  db.drop(s);
}

BOOST_AUTO_TEST_CASE(a_newer_schema_is_refused_and_left_unchanged) {
  pg db;
  const std::string s = "analytics_future";
  db.drop(s);
  BOOST_REQUIRE(migrate(db.conn, s).ok());
  {
    pqxx::work tx(db.conn);
    tx.exec("INSERT INTO " + quote_ident(s) + ".schema_version (version) VALUES (99)");
    tx.commit();
  }
  auto m = migrate(db.conn, s);
  BOOST_TEST(!m.ok());
  BOOST_TEST(m.from == 99);
  BOOST_TEST(m.error.find("version 99") != std::string::npos, m.error);
  BOOST_TEST(m.error.find(std::to_string(schema_version)) != std::string::npos, m.error);
  BOOST_TEST(version_of(db.conn, s) == 99);
  BOOST_TEST(db.count("SELECT count(*) FROM " + quote_ident(s) + ".schema_version WHERE $1 <> ''",
                      s) == schema_version + 1);
  BOOST_TEST(!migrate(db.conn, s, 0).ok()); // and no such target
  db.drop(s);
}

BOOST_AUTO_TEST_CASE(the_reader_role_selects_and_does_nothing_else) {
  BOOST_REQUIRE_MESSAGE(!env("PGTEST_TCP_DSN").empty(), "run under scripts/pg-test run --");
  pg db;
  const std::string s = "analytics_read";
  db.drop(s);
  BOOST_REQUIRE(migrate(db.conn, s).ok());
  {
    pqxx::work tx(db.conn);
    tx.exec("DROP ROLE IF EXISTS bi_tool_test");
    tx.exec(std::string("CREATE ROLE bi_tool_test LOGIN PASSWORD 'reader-pw' IN ROLE ") +
            reader_role);
    tx.exec("CREATE TABLE IF NOT EXISTS public.not_for_readers (x int)");
    tx.commit();
  }
  auto reader_conn = std::make_unique<pqxx::connection>(env("PGTEST_TCP_DSN") +
                                                        " user=bi_tool_test password=reader-pw");
  auto& reader = *reader_conn;
  auto q = quote_ident(s);
  for (auto& v : views) {
    pqxx::work tx(reader);
    BOOST_CHECK_NO_THROW(tx.exec("SELECT * FROM " + q + "." + v));
  }
  auto refused = [&](const std::string& sql) {
    pqxx::work tx(reader);
    try {
      tx.exec(sql);
    } catch (const pqxx::insufficient_privilege&) {
      return true;
    }
    return false;
  };
  BOOST_TEST(refused("INSERT INTO " + q + ".fact_searches VALUES (1, 0, now(), 'x', 'y', 1, 0)"));
  BOOST_TEST(refused("UPDATE " + q + ".projection_state SET next_offset = 5"));
  BOOST_TEST(refused("DELETE FROM " + q + ".dim_users"));
  BOOST_TEST(refused("CREATE TABLE " + q + ".mine (x int)"));
  BOOST_TEST(refused("SELECT * FROM public.not_for_readers"));
  reader_conn.reset();
  pqxx::work tx(db.conn);
  tx.exec("DROP TABLE public.not_for_readers");
  tx.exec("DROP ROLE bi_tool_test");
  tx.commit();
  db.drop(s);
}

BOOST_AUTO_TEST_CASE(the_documented_example_queries_run) {
  // docs/analytics.md's ```sql blocks that read almanac_analytics.
  std::ifstream in(std::string(ALMANAC_SOURCE_DIR) + "/docs/analytics.md");
  BOOST_REQUIRE(in);
  std::vector<std::string> blocks;
  std::string line, block;
  bool inside = false;
  while (std::getline(in, line)) {
    if (line == "```sql") {
      inside = true;
      block.clear();
    } else if (inside && line == "```") {
      inside = false;
      if (block.find("FROM almanac_analytics.") != std::string::npos) blocks.push_back(block);
    } else if (inside) {
      block += line + "\n";
    }
  }
  BOOST_REQUIRE(blocks.size() >= 2u);
  pg db;
  db.drop("almanac_analytics");
  BOOST_REQUIRE(migrate(db.conn, "almanac_analytics").ok());
  for (auto& b : blocks) {
    pqxx::work tx(db.conn);
    BOOST_CHECK_NO_THROW(tx.exec(b));
  }
  db.drop("almanac_analytics");
}
