// Metadata extraction from a real PostgreSQL loaded with pagila (run under
// scripts/pg-test), and the connection errors.
#define BOOST_TEST_MODULE connectors_postgresql_extract
#define BOOST_TEST_DYN_LINK
#include "tests/connectors/connector_test_helpers.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <set>

using namespace almanac;
using namespace almanac::connectors;
using namespace almanac::connectors::test;

namespace {

catalog_snapshot must_extract(connector& c, const extract_options& opts = {}) {
  std::atomic<bool> cancel{false};
  auto snap = c.extract(opts, {}, cancel);
  BOOST_REQUIRE_MESSAGE(snap, "extract failed: " << render(snap.error()));
  return std::move(*snap);
}

const table_info& find(const catalog_snapshot& snap, const std::string& name) {
  for (auto& t : snap.tables)
    if (t.schema == "public" && t.name == name)
      return t;
  BOOST_FAIL("no table public." + name);
  throw;
}

const column_info& column(const table_info& t, const std::string& name) {
  for (auto& c : t.columns)
    if (c.name == name)
      return c;
  BOOST_FAIL("no column " + name + " in " + t.name);
  throw;
}

/// A TCP port on 127.0.0.1 that nothing listens on.
int closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

} // namespace

BOOST_AUTO_TEST_CASE(every_pagila_table_with_partitions_views_and_the_materialized_view) {
  auto c = must_connect(pagila());
  auto snap = must_extract(*c);
  std::map<std::string, std::string> kinds;
  for (auto& t : snap.tables) {
    BOOST_TEST(t.schema == "public");
    kinds[t.name] = t.kind;
  }
  for (auto name : {"actor", "address", "category", "city", "country", "customer", "film",
                    "film_actor", "film_category", "inventory", "language", "rental",
                    "staff", "store"})
    BOOST_TEST(kinds[name] == "table", name);
  BOOST_TEST(kinds["payment"] == "partitioned_table");
  for (int m = 1; m <= 7; ++m) {
    auto name = "payment_p2022_0" + std::to_string(m);
    BOOST_TEST(kinds[name] == "table", name);
    BOOST_TEST(find(snap, name).partition_of.value_or("") == "public.payment");
  }
  BOOST_TEST(!find(snap, "payment").partition_of);
  for (auto name : {"actor_info", "customer_list", "film_list", "nicer_but_slower_film_list",
                    "sales_by_film_category", "sales_by_store", "staff_list"}) {
    BOOST_TEST(kinds[name] == "view", name);
    auto def = find(snap, name).definition.value_or("");
    BOOST_TEST(def.find("SELECT") != std::string::npos, name << ": " << def);
    BOOST_TEST(def.find("FROM") != std::string::npos, name);
  }
  BOOST_TEST(kinds["rental_by_category"] == "materialized_view");
  auto mv = find(snap, "rental_by_category").definition.value_or("");
  BOOST_TEST(mv.find("public.payment") != std::string::npos, mv);
  // 15 tables, 7 partitions, 7 views, 1 materialized view; nothing else.
  BOOST_TEST(snap.tables.size() == 30u);
  BOOST_TEST(std::is_sorted(snap.tables.begin(), snap.tables.end(),
                            [](auto& a, auto& b) { return a.name < b.name; }));
  BOOST_REQUIRE(snap.schemas.size() == 1u);
  BOOST_TEST(snap.schemas[0].name == "public");
}

BOOST_AUTO_TEST_CASE(columns_carry_types_nullability_defaults_and_ordinals) {
  auto c = must_connect(pagila());
  auto snap = must_extract(*c);
  auto& film = find(snap, "film");
  BOOST_REQUIRE(film.columns.size() == 14u);
  BOOST_TEST(film.columns[0].name == "film_id");
  BOOST_TEST(film.columns[0].ordinal == 1);
  BOOST_TEST(film.columns[0].data_type == "integer");
  BOOST_TEST(!film.columns[0].nullable);
  BOOST_TEST(film.columns[0].default_value.value_or("")
             == "nextval('public.film_film_id_seq'::regclass)");
  BOOST_TEST(column(film, "title").data_type == "text");
  BOOST_TEST(!column(film, "title").nullable);
  BOOST_TEST(column(film, "description").nullable);
  BOOST_TEST(!column(film, "description").default_value);
  BOOST_TEST(column(film, "rental_rate").data_type == "numeric(4,2)");
  BOOST_TEST(column(film, "rental_rate").default_value.value_or("") == "4.99");
  BOOST_TEST(column(film, "rating").data_type == "public.mpaa_rating");
  BOOST_TEST(column(film, "release_year").data_type == "public.year");
  BOOST_TEST(column(film, "special_features").data_type == "text[]");
  BOOST_TEST(column(film, "last_update").data_type == "timestamp with time zone");
  BOOST_TEST(column(film, "fulltext").ordinal == 14);
  auto& address = find(snap, "address");
  BOOST_TEST(column(address, "address").data_type == "text");
  auto& staff = find(snap, "staff");
  BOOST_TEST(column(staff, "active").data_type == "boolean");
  // Views have columns too.
  auto& list = find(snap, "film_list");
  BOOST_TEST(list.columns.size() == 8u);
  BOOST_TEST(column(list, "fid").ordinal == 1);
}

BOOST_AUTO_TEST_CASE(primary_and_foreign_keys_with_column_lists) {
  auto c = must_connect(pagila());
  auto snap = must_extract(*c);
  BOOST_TEST((find(snap, "film").primary_key == std::vector<std::string>{"film_id"}));
  BOOST_TEST((find(snap, "film_actor").primary_key
              == std::vector<std::string>{"actor_id", "film_id"}));
  BOOST_TEST((find(snap, "payment").primary_key
              == std::vector<std::string>{"payment_date", "payment_id"}));
  BOOST_TEST((find(snap, "payment_p2022_03").primary_key
              == std::vector<std::string>{"payment_date", "payment_id"}));
  BOOST_TEST(find(snap, "actor_info").primary_key.empty());

  auto& film = find(snap, "film");
  BOOST_REQUIRE(film.foreign_keys.size() == 2u);
  auto& fk = film.foreign_keys[0];
  BOOST_TEST(fk.name == "film_language_id_fkey");
  BOOST_TEST((fk.columns == std::vector<std::string>{"language_id"}));
  BOOST_TEST(fk.ref_schema == "public");
  BOOST_TEST(fk.ref_table == "language");
  BOOST_TEST((fk.ref_columns == std::vector<std::string>{"language_id"}));
  BOOST_TEST(film.foreign_keys[1].name == "film_original_language_id_fkey");

  std::set<std::string> refs;
  for (auto& f : find(snap, "payment_p2022_01").foreign_keys)
    refs.insert(f.ref_table + "." + f.ref_columns.at(0));
  BOOST_TEST((refs == std::set<std::string>{"customer.customer_id", "rental.rental_id",
                                            "staff.staff_id"}));
  size_t total = 0;
  for (auto& t : snap.tables)
    total += t.foreign_keys.size();
  BOOST_TEST(total == 36u); // every FOREIGN KEY of pagila-schema.sql
}

BOOST_AUTO_TEST_CASE(row_estimates_from_statistics_and_partitions) {
  auto c = must_connect(pagila());
  auto snap = must_extract(*c);
  BOOST_TEST(find(snap, "film").row_estimate == 1000);
  BOOST_TEST(find(snap, "language").row_estimate == 6);
  auto payment = find(snap, "payment").row_estimate;
  BOOST_TEST(payment > 15000);
  BOOST_TEST(payment < 17000);
  BOOST_TEST(find(snap, "actor_info").row_estimate == -1);
}

BOOST_AUTO_TEST_CASE(comments_and_filters) {
  auto admin = must_connect(pagila_superuser());
  must_run(*admin, "COMMENT ON TABLE public.film IS 'Every film in stock'");
  must_run(*admin, "COMMENT ON COLUMN public.film.title IS 'The title'");
  must_run(*admin, "COMMENT ON SCHEMA public IS 'The shop'");
  auto c = must_connect(pagila());
  extract_options opts;
  opts.tables = {"public.film", "public.language"};
  auto snap = must_extract(*c, opts);
  BOOST_REQUIRE(snap.tables.size() == 2u);
  BOOST_TEST(snap.tables[0].name == "film");
  BOOST_TEST(snap.tables[0].comment == "Every film in stock");
  BOOST_TEST(column(snap.tables[0], "title").comment == "The title");
  BOOST_TEST(column(snap.tables[0], "description").comment == "");
  BOOST_TEST(snap.tables[1].name == "language");
  BOOST_TEST(snap.schemas.at(0).comment == "The shop");

  opts.tables.clear();
  opts.schemas = {"nope"};
  snap = must_extract(*c, opts);
  BOOST_TEST(snap.tables.empty());
  BOOST_TEST(snap.schemas.empty());
  must_run(*admin, "COMMENT ON TABLE public.film IS NULL");
  must_run(*admin, "COMMENT ON COLUMN public.film.title IS NULL");
  must_run(*admin, "COMMENT ON SCHEMA public IS NULL");
}

BOOST_AUTO_TEST_CASE(other_schemas_and_system_schemas) {
  auto admin = must_connect(pagila_superuser());
  must_run(*admin, "CREATE SCHEMA sales");
  must_run(*admin, "CREATE TABLE sales.orders (id bigint GENERATED ALWAYS AS IDENTITY "
                   "PRIMARY KEY, film_id int REFERENCES public.film, "
                   "total numeric GENERATED ALWAYS AS (1.5) STORED)");
  auto c = must_connect(pagila());
  auto snap = must_extract(*c);
  std::set<std::string> schemas;
  for (auto& s : snap.schemas)
    schemas.insert(s.name);
  BOOST_TEST((schemas == std::set<std::string>{"public", "sales"}));
  auto& orders = snap.tables.back();
  BOOST_TEST(orders.schema == "sales");
  BOOST_TEST(orders.columns.at(0).default_value.value_or("") == "GENERATED ALWAYS AS IDENTITY");
  BOOST_TEST(orders.columns.at(2).default_value.value_or("")
             == "GENERATED ALWAYS AS (1.5) STORED");
  BOOST_REQUIRE(orders.foreign_keys.size() == 1u);
  BOOST_TEST(orders.foreign_keys[0].ref_table == "film");
  BOOST_TEST((orders.foreign_keys[0].ref_columns == std::vector<std::string>{"film_id"}));
  must_run(*admin, "DROP SCHEMA sales CASCADE");
}

BOOST_AUTO_TEST_CASE(progress_and_cancel) {
  auto c = must_connect(pagila());
  std::vector<std::pair<uint64_t, uint64_t>> calls;
  std::atomic<bool> cancel{false};
  auto snap = c->extract({}, [&](uint64_t d, uint64_t t) { calls.emplace_back(d, t); },
                         cancel);
  BOOST_REQUIRE(snap);
  BOOST_REQUIRE(calls.size() == 2u);
  BOOST_TEST(calls.front().first == 0u);
  BOOST_TEST(calls.back().first == snap->tables.size());
  BOOST_TEST(calls.back().second == snap->tables.size());

  auto cancelled = c->extract({}, [&](uint64_t, uint64_t) { cancel = true; }, cancel);
  expect_error(cancelled, ec::cancelled, "cancelled");
  cancel = false;
  BOOST_TEST(static_cast<bool>(c->extract({}, {}, cancel)));
}

BOOST_AUTO_TEST_CASE(connection_dropped_mid_extraction_is_unavailable_then_reconnects) {
  auto cfg = pagila();
  auto c = must_connect(cfg);
  auto admin = must_connect(pagila_superuser());
  std::atomic<bool> cancel{false};
  // Between listing the relations and reading the columns, kill our backend.
  auto result = c->extract({}, [&](uint64_t done, uint64_t) {
    if (done == 0)
      must_run(*admin, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                       "WHERE usename = 'almanac' AND pid <> pg_backend_pid()");
  }, cancel);
  auto msg = expect_error(result, ec::unavailable, "127.0.0.1");
  BOOST_TEST(msg.find(cfg.password) == std::string::npos);
  BOOST_TEST_MESSAGE("dropped: " << msg);
  // The next call reconnects.
  auto again = c->extract({}, {}, cancel);
  BOOST_REQUIRE_MESSAGE(again, render(again.error()));
  BOOST_TEST(again->tables.size() == 30u);
}

BOOST_AUTO_TEST_CASE(wrong_password_is_unauthenticated_without_the_password) {
  auto cfg = pagila();
  const std::string right = cfg.password;
  cfg.password = "Wr0ng-s3cret-Pw";
  auto msg = expect_error(connect(cfg), ec::unauthenticated, "127.0.0.1");
  BOOST_TEST(msg.find(pg_env("PGTEST_TCP_PORT")) != std::string::npos, msg);
  BOOST_TEST(msg.find("password authentication failed") != std::string::npos, msg);
  BOOST_TEST(msg.find(cfg.password) == std::string::npos, msg);
  BOOST_TEST(msg.find(right) == std::string::npos, msg);
  cfg.password.clear();
  expect_error(connect(cfg), ec::unauthenticated, "127.0.0.1");
}

BOOST_AUTO_TEST_CASE(unreachable_host_is_unavailable_without_the_password) {
  auto cfg = pagila();
  auto port = std::to_string(closed_port());
  cfg.dsn = "host=127.0.0.1 port=" + port + " dbname=pagila user=almanac";
  auto msg = expect_error(connect(cfg), ec::unavailable, "port=" + port);
  BOOST_TEST(msg.find("127.0.0.1") != std::string::npos, msg);
  BOOST_TEST(msg.find(cfg.password) == std::string::npos, msg);
  BOOST_TEST_MESSAGE("unreachable: " << msg);
}

BOOST_AUTO_TEST_CASE(passwords_with_quotes_and_backslashes_are_passed_intact) {
  auto admin = must_connect(pagila_superuser());
  must_run(*admin, "CREATE ROLE odd_pw LOGIN PASSWORD 'it''s a \\ p@ss=word'");
  auto cfg = pagila();
  cfg.dsn = "host=127.0.0.1 port=" + pg_env("PGTEST_TCP_PORT") + " dbname=pagila user=odd_pw";
  cfg.password = "it's a \\ p@ss=word";
  auto c = must_connect(cfg);
  auto r = c->query("SELECT current_user", {});
  BOOST_REQUIRE(r);
  BOOST_TEST(r->rows.at(0).at(0) == "odd_pw");
  must_run(*admin, "DROP ROLE odd_pw");
}
