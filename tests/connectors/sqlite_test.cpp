// The SQLite connector on a database the test creates: extraction (tables, a
// view, keys, an attached schema) and queries (limit, timeout, cancel,
// read-only mode).
#define BOOST_TEST_MODULE connectors_sqlite
#define BOOST_TEST_DYN_LINK
#include "tests/connectors/connector_test_helpers.hpp"

#include "connectors/sqlite/sqlite_catalog.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

using namespace almanac;
using namespace almanac::connectors;
using namespace almanac::connectors::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

/// A fresh database file with authors, books (composite key), reviews (a
/// foreign key to books' key, implicit columns) and a view.
struct shop_fixture {
  fs::path dir;
  source_config cfg;
  std::unique_ptr<connector> c;

  shop_fixture() {
    char tmpl[] = "/tmp/sqlite-connector-XXXXXX";
    dir = ::mkdtemp(tmpl);
    cfg.name = "shop";
    cfg.kind = "sqlite";
    cfg.path = (dir / "shop.db").string();
    std::ofstream{cfg.path}; // an empty file is an empty database
    c = must_connect(cfg);
    for (auto sql : {
           "CREATE TABLE authors (id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
           " born DATE DEFAULT '1900-01-01')",
           "CREATE TABLE books (isbn TEXT NOT NULL, edition INTEGER NOT NULL,"
           " author_id INTEGER REFERENCES authors(id), title VARCHAR(200), price REAL,"
           " cover BLOB, PRIMARY KEY (isbn, edition))",
           "CREATE TABLE reviews (id INTEGER PRIMARY KEY, isbn TEXT, edition INTEGER,"
           " stars INTEGER CHECK (stars BETWEEN 1 AND 5),"
           " FOREIGN KEY (isbn, edition) REFERENCES books)",
           "CREATE VIEW \"book list\" (title, author) AS\n  SELECT b.title, a.name"
           " FROM books b JOIN authors a ON a.id = b.author_id;",
           "INSERT INTO authors (name) VALUES ('Le Guin'), ('Calvino'), ('Borges')",
           "INSERT INTO books VALUES ('0-441', 1, 1, 'The Dispossessed', 9.5, x'cafe'),"
           " ('0-15', 1, 2, 'Invisible Cities', 12, NULL),"
           " ('0-15', 2, 2, 'Invisible Cities', 14.25, NULL)",
           "INSERT INTO reviews (isbn, edition, stars) VALUES ('0-441', 1, 5)",
         })
      must_run(*c, sql);
  }

  ~shop_fixture() {
    c.reset();
    fs::remove_all(dir);
  }

  catalog_snapshot extract(const extract_options& opts = {}) {
    std::atomic<bool> cancel{false};
    auto snap = c->extract(opts, {}, cancel);
    BOOST_REQUIRE_MESSAGE(snap, render(snap.error()));
    return std::move(*snap);
  }

  query_result query(const std::string& sql, uint64_t limit = 1000) {
    query_options opts;
    opts.row_limit = limit;
    auto r = c->query(sql, opts);
    BOOST_REQUIRE_MESSAGE(r, sql << ": " << render(r.error()));
    return std::move(*r);
  }
};

const table_info& find(const catalog_snapshot& snap, const std::string& name) {
  for (auto& t : snap.tables)
    if (t.name == name)
      return t;
  BOOST_FAIL("no table " + name);
  throw;
}

// An endless query: counts forever.
constexpr const char* endless = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n)"
                                " SELECT count(*) FROM n";

} // namespace

BOOST_FIXTURE_TEST_SUITE(sqlite, shop_fixture)

BOOST_AUTO_TEST_CASE(tables_views_and_schemas) {
  auto snap = extract();
  BOOST_REQUIRE(snap.schemas.size() == 1u);
  BOOST_TEST(snap.schemas[0].name == "main");
  BOOST_REQUIRE(snap.tables.size() == 4u);
  BOOST_TEST(snap.tables[0].name == "authors");
  BOOST_TEST(snap.tables[1].name == "book list");
  BOOST_TEST(snap.tables[2].name == "books");
  BOOST_TEST(snap.tables[3].name == "reviews");
  for (auto& t : snap.tables)
    BOOST_TEST(t.schema == "main");
  auto& view = find(snap, "book list");
  BOOST_TEST(view.kind == "view");
  BOOST_TEST(view.definition.value_or("")
             == "SELECT b.title, a.name FROM books b JOIN authors a ON a.id = b.author_id");
  BOOST_TEST(view.row_estimate == -1);
  BOOST_REQUIRE(view.columns.size() == 2u);
  BOOST_TEST(view.columns[1].name == "author");
  BOOST_TEST(find(snap, "books").kind == "table");
  BOOST_TEST(!find(snap, "books").definition);
  BOOST_TEST(find(snap, "books").row_estimate == 3);
  BOOST_TEST(find(snap, "authors").row_estimate == 3);
}

BOOST_AUTO_TEST_CASE(columns_with_types_nullability_defaults_and_ordinals) {
  auto snap = extract();
  auto& authors = find(snap, "authors");
  BOOST_REQUIRE(authors.columns.size() == 3u);
  auto& id = authors.columns[0];
  BOOST_TEST(id.name == "id");
  BOOST_TEST(id.data_type == "INTEGER");
  BOOST_TEST(!id.nullable); // the rowid
  BOOST_TEST(id.ordinal == 1);
  BOOST_TEST(!authors.columns[1].nullable);
  BOOST_TEST(authors.columns[2].default_value.value_or("") == "'1900-01-01'");
  BOOST_TEST(authors.columns[2].ordinal == 3);
  BOOST_TEST(authors.columns[2].nullable);
  auto& books = find(snap, "books");
  BOOST_TEST(books.columns.at(3).data_type == "VARCHAR(200)");
  BOOST_TEST(books.columns.at(0).nullable == false);
  BOOST_TEST(books.columns.at(4).nullable == true);
}

BOOST_AUTO_TEST_CASE(primary_and_foreign_keys) {
  auto snap = extract();
  BOOST_TEST((find(snap, "authors").primary_key == std::vector<std::string>{"id"}));
  BOOST_TEST((find(snap, "books").primary_key
              == std::vector<std::string>{"isbn", "edition"}));
  auto& books = find(snap, "books");
  BOOST_REQUIRE(books.foreign_keys.size() == 1u);
  BOOST_TEST(books.foreign_keys[0].name == "books_author_id_fkey");
  BOOST_TEST((books.foreign_keys[0].columns == std::vector<std::string>{"author_id"}));
  BOOST_TEST(books.foreign_keys[0].ref_schema == "main");
  BOOST_TEST(books.foreign_keys[0].ref_table == "authors");
  BOOST_TEST((books.foreign_keys[0].ref_columns == std::vector<std::string>{"id"}));
  // REFERENCES books without columns: books' primary key.
  auto& reviews = find(snap, "reviews");
  BOOST_REQUIRE(reviews.foreign_keys.size() == 1u);
  BOOST_TEST((reviews.foreign_keys[0].columns
              == std::vector<std::string>{"isbn", "edition"}));
  BOOST_TEST((reviews.foreign_keys[0].ref_columns
              == std::vector<std::string>{"isbn", "edition"}));
}

BOOST_AUTO_TEST_CASE(attached_schemas_filters_progress_and_cancel) {
  auto other = (dir / "archive.db").string();
  std::ofstream{other}; // the connector never creates database files
  must_run(*c, "ATTACH DATABASE '" + other + "' AS archive");
  must_run(*c, "CREATE TABLE archive.old_books (isbn TEXT PRIMARY KEY)");
  auto snap = extract();
  BOOST_REQUIRE(snap.schemas.size() == 2u);
  BOOST_TEST(snap.schemas[0].name == "archive");
  BOOST_TEST(snap.tables.front().schema == "archive");
  BOOST_TEST(snap.tables.front().name == "old_books");
  BOOST_TEST(snap.tables.size() == 5u);

  extract_options opts;
  opts.schemas = {"main"};
  opts.tables = {"main.books", "archive.old_books"};
  snap = extract(opts);
  BOOST_REQUIRE(snap.tables.size() == 1u);
  BOOST_TEST(snap.tables[0].name == "books");

  std::atomic<bool> cancel{false};
  std::vector<uint64_t> done;
  auto all = c->extract({}, [&](uint64_t d, uint64_t t) {
    BOOST_TEST(t == 5u);
    done.push_back(d);
  }, cancel);
  BOOST_REQUIRE(all);
  BOOST_TEST((done == std::vector<uint64_t>{0, 1, 2, 3, 4, 5}));
  auto stopped = c->extract({}, [&](uint64_t d, uint64_t) { cancel = d == 2; }, cancel);
  expect_error(stopped, ec::cancelled, "cancelled");
}

BOOST_AUTO_TEST_CASE(row_estimates_from_sqlite_stat1) {
  must_run(*c, "CREATE INDEX books_title ON books (title)");
  must_run(*c, "ANALYZE");
  // stat1 says 3; make the table hold 4 to see which figure is used.
  must_run(*c, "INSERT INTO books (isbn, edition) VALUES ('x', 1)");
  BOOST_TEST(find(extract(), "books").row_estimate == 3);
  BOOST_TEST(find(extract(), "reviews").row_estimate == 1);
}

BOOST_AUTO_TEST_CASE(query_limit_and_values) {
  auto r = query("SELECT isbn, edition, price, cover, NULL AS nada, title"
                 " FROM books ORDER BY isbn, edition", 2);
  BOOST_TEST(r.rows.size() == 2u);
  BOOST_TEST(r.truncated);
  BOOST_TEST((r.columns
              == std::vector<std::string>{"isbn", "edition", "price", "cover", "nada",
                                          "title"}));
  BOOST_TEST(r.column_types.at(2) == "REAL");
  BOOST_TEST(r.column_types.at(4) == "");
  BOOST_TEST(r.rows[0][1] == 1);
  BOOST_TEST(r.rows[0][2] == 12.0);
  BOOST_TEST(r.rows[1][2] == 14.25);
  BOOST_TEST(r.rows[0][3].is_null());
  BOOST_TEST(r.rows[0][4].is_null());
  auto all = query("SELECT cover FROM books WHERE cover IS NOT NULL", 10);
  BOOST_TEST(!all.truncated);
  BOOST_TEST(all.rows.at(0).at(0) == "cafe");
}

BOOST_AUTO_TEST_CASE(timeout_and_cancel) {
  query_options opts;
  opts.timeout = 200ms;
  auto start = std::chrono::steady_clock::now();
  expect_error(c->query(endless, opts), ec::timeout, "200 ms");
  BOOST_TEST((std::chrono::steady_clock::now() - start < 2s));

  caf::expected<query_result> r{query_result{}};
  std::thread runner{[&] { r = c->query(endless, {}); }};
  std::this_thread::sleep_for(200ms);
  c->cancel();
  runner.join();
  expect_error(r, ec::cancelled, "cancelled");
  BOOST_TEST(query("SELECT 1").rows.at(0).at(0) == 1);
}

BOOST_AUTO_TEST_CASE(read_only_mode_refuses_writes) {
  auto msg = expect_error(c->query("DELETE FROM reviews", {}), ec::forbidden, "read-only");
  BOOST_TEST_MESSAGE("refused: " << msg);
  expect_error(c->query("CREATE TABLE t (i)", {}), ec::forbidden, "read-only");
  expect_error(c->query("SELECT 1; DELETE FROM reviews", {}), ec::invalid_argument,
               "one statement");
  expect_error(c->query("SELEC 1", {}), ec::invalid_argument, "syntax error");
  BOOST_TEST(query("SELECT count(*) FROM reviews").rows.at(0).at(0) == 1);
  BOOST_TEST(query("SELECT 1; -- trailing comment").rows.size() == 1u);
  expect_error(c->read_query_log(10), ec::unavailable, "no query log");
}

BOOST_AUTO_TEST_CASE(missing_and_broken_files) {
  source_config missing = cfg;
  missing.path = (dir / "nope.db").string();
  expect_error(connect(missing), ec::not_found, "nope.db");
  source_config junk = cfg;
  junk.path = (dir / "junk.db").string();
  std::ofstream{junk.path} << "this is not a database, not even close to one.............."
                              "...................................................";
  expect_error(connect(junk), ec::unavailable, "junk.db");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(view_body_strips_the_create_view_header) {
  using sqlite_detail::view_body;
  BOOST_TEST(view_body("CREATE VIEW v AS SELECT 1") == "SELECT 1");
  BOOST_TEST(view_body("create temp view if not exists main.\"a b\" (x, y) as\n"
                       "  select 1, 2;") == "select 1, 2");
  BOOST_TEST(view_body("CREATE VIEW [as] AS /* c */ WITH t AS (SELECT 1) SELECT * FROM t")
             == "WITH t AS (SELECT 1) SELECT * FROM t");
  BOOST_TEST(view_body("CREATE VIEW `v` (\"as\") AS VALUES (1)") == "VALUES (1)");
  BOOST_TEST(view_body("garbage") == "garbage");
}
