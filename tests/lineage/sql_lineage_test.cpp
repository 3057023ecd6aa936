// Column- and table-level lineage: INSERT ... SELECT, CREATE TABLE AS,
// SELECT INTO, views, UPDATE ... FROM, MERGE, COPY; through CTEs (recursive
// too), subqueries, set operations, aliases and `*` expanded from the
// catalog.

#define BOOST_TEST_MODULE lineage_sql_lineage
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "actors/lineage/sql/sql_analysis.hpp"
#include "tests/lineage/test_helpers.hpp"

using namespace almanac::lineage;
using refs = std::vector<column_ref>;

namespace {

/// The sources of `table.column` in `a`'s column lineage (empty if none).
refs sources_of(const analysis& a, const std::string& table, const std::string& column) {
  for (auto& e : a.column_lineage)
    if (e.target.table == table && e.target.column == column)
      return e.sources;
  return {};
}

analysis parsed(const std::string& sql, const schema_provider* schemas = nullptr) {
  auto a = analyze(sql, schemas);
  BOOST_TEST_INFO(sql);
  BOOST_REQUIRE(!a.parse_error);
  return a;
}

} // namespace

BOOST_AUTO_TEST_CASE(insert_select_maps_columns_by_position) {
  auto a = parsed("insert into stats (film, n) select f.title, count(r.rental_id) "
                  "from film f join inventory i on i.film_id = f.film_id "
                  "join rental r on r.inventory_id = i.inventory_id group by f.title");
  BOOST_TEST(sources_of(a, "public.stats", "film") == (refs{{"public.film", "title"}}),
             boost::test_tools::per_element());
  BOOST_TEST(sources_of(a, "public.stats", "n") == (refs{{"public.rental", "rental_id"}}),
             boost::test_tools::per_element());
  BOOST_REQUIRE_EQUAL(a.table_lineage.size(), 3u);
  BOOST_CHECK_EQUAL(a.table_lineage[0].from, "public.film");
  BOOST_CHECK_EQUAL(a.table_lineage[0].to, "public.stats");
}

BOOST_AUTO_TEST_CASE(insert_without_columns_uses_the_catalog) {
  map_schema_provider catalog({{"public.t", {"a", "b"}}});
  auto a = parsed("insert into t select x, y + z from s", &catalog);
  BOOST_TEST(sources_of(a, "public.t", "a") == (refs{{"public.s", "x"}}),
             boost::test_tools::per_element());
  BOOST_TEST(sources_of(a, "public.t", "b") == (refs{{"public.s", "y"}, {"public.s", "z"}}),
             boost::test_tools::per_element());
  // Without the catalog the target's columns are unknown: by position, each
  // named as its output (issue 13); an unnamed output names no column.
  auto b = parsed("insert into t select x, s.w as total, y + z from s");
  BOOST_TEST(sources_of(b, "public.t", "x") == (refs{{"public.s", "x"}}),
             boost::test_tools::per_element());
  BOOST_TEST(sources_of(b, "public.t", "total") == (refs{{"public.s", "w"}}),
             boost::test_tools::per_element());
  BOOST_TEST(b.column_lineage.size() == 2u);
  BOOST_REQUIRE_EQUAL(b.table_lineage.size(), 1u);
  // A * over a relation of unknown columns: positions unknown, no columns.
  auto c = parsed("insert into t select * from s");
  BOOST_TEST(c.column_lineage.empty());
}

BOOST_AUTO_TEST_CASE(create_table_as_select_into_and_views_name_columns_by_outputs) {
  auto ctas = parsed("create table t2 as select a as x, b from t");
  BOOST_TEST(sources_of(ctas, "public.t2", "x") == (refs{{"public.t", "a"}}),
             boost::test_tools::per_element());
  BOOST_TEST(sources_of(ctas, "public.t2", "b") == (refs{{"public.t", "b"}}),
             boost::test_tools::per_element());
  auto into = parsed("select a, b into t3 from t");
  BOOST_CHECK(into.kind == statement_kind::select_into);
  BOOST_TEST(sources_of(into, "public.t3", "a") == (refs{{"public.t", "a"}}),
             boost::test_tools::per_element());
  auto view = parsed("create view v (p, q) as select a, upper(b) from t");
  BOOST_TEST(sources_of(view, "public.v", "q") == (refs{{"public.t", "b"}}),
             boost::test_tools::per_element());
  auto mat = parsed("create materialized view s.m as select count(*) as n, max(a) from t");
  BOOST_TEST(sources_of(mat, "s.m", "max") == (refs{{"public.t", "a"}}),
             boost::test_tools::per_element());
  BOOST_TEST(sources_of(mat, "s.m", "n").empty());
  BOOST_TEST(mat.tables_written == std::vector<std::string>{"s.m"},
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(update_from_and_multi_column_assignments) {
  auto a = parsed("update inv i set qty = i.qty + n.qty, (p, q) = (select x, y from z "
                  "where z.k = i.k) from arrivals n where i.id = n.id");
  BOOST_TEST(sources_of(a, "public.inv", "qty")
               == (refs{{"public.arrivals", "qty"}, {"public.inv", "qty"}}),
             boost::test_tools::per_element());
  BOOST_TEST(sources_of(a, "public.inv", "p") == (refs{{"public.z", "x"}}),
             boost::test_tools::per_element());
  BOOST_TEST(sources_of(a, "public.inv", "q") == (refs{{"public.z", "y"}}),
             boost::test_tools::per_element());
  BOOST_TEST(a.tables_read == (std::vector<std::string>{"public.arrivals", "public.z"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(merge_updates_and_inserts) {
  auto a = parsed("merge into s.bar d using (select * from s.foo) src on d.k = src.k "
                  "when matched and src.flag then update set a = src.a "
                  "when not matched then insert (a, b) values (src.a, src.b * 2)");
  BOOST_CHECK(a.kind == statement_kind::merge);
  BOOST_TEST(sources_of(a, "s.bar", "a") == (refs{{"s.foo", "a"}}),
             boost::test_tools::per_element());
  BOOST_TEST(sources_of(a, "s.bar", "b") == (refs{{"s.foo", "b"}}),
             boost::test_tools::per_element());
  BOOST_REQUIRE_EQUAL(a.joins.size(), 1u);
  BOOST_CHECK_EQUAL(a.joins[0].left, "s.bar");
  BOOST_TEST(a.filter_columns == (refs{{"s.foo", "flag"}}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(ctes_and_subqueries_pass_lineage_through) {
  auto a = parsed("with c as (select customer_id as id, first_name || last_name as name "
                  "from customer) insert into names (id, name) "
                  "select s.id, s.name from (select id, name from c) s");
  BOOST_TEST(sources_of(a, "public.names", "id") == (refs{{"public.customer", "customer_id"}}),
             boost::test_tools::per_element());
  BOOST_TEST(sources_of(a, "public.names", "name")
               == (refs{{"public.customer", "first_name"}, {"public.customer", "last_name"}}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(recursive_ctes_see_their_first_branch) {
  auto a = parsed("with recursive sub (id, boss) as (select id, manager from emp where id = 1 "
                  "union select e.id, e.manager from emp e join sub s on s.id = e.manager) "
                  "insert into tree (id, boss) select id, boss from sub");
  BOOST_TEST(a.tables_read == std::vector<std::string>{"public.emp"},
             boost::test_tools::per_element());
  BOOST_TEST(sources_of(a, "public.tree", "boss") == (refs{{"public.emp", "manager"}}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(set_operations_feed_each_column_from_every_branch) {
  auto a = parsed("insert into all_names (n) select first_name from actor "
                  "union select first_name from customer except select name from banned");
  BOOST_TEST(sources_of(a, "public.all_names", "n")
               == (refs{{"public.actor", "first_name"}, {"public.banned", "name"},
                        {"public.customer", "first_name"}}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(star_expands_from_the_catalog) {
  map_schema_provider catalog({{"public.film", {"film_id", "title"}}});
  auto a = parsed("create table f2 as select * from (select f.* from film f) sub", &catalog);
  BOOST_TEST(sources_of(a, "public.f2", "title") == (refs{{"public.film", "title"}}),
             boost::test_tools::per_element());
  BOOST_REQUIRE_EQUAL(a.column_lineage.size(), 2u);
  // Unknown columns pass through `*` by name.
  auto b = parsed("with c as (select * from t) select x from c");
  BOOST_REQUIRE_EQUAL(b.outputs.size(), 1u);
  BOOST_TEST(b.outputs[0].sources == (refs{{"public.t", "x"}}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(aliases_and_column_aliases) {
  auto a = parsed("select q.p, q.r from (select a, b from t) as q (p, r)");
  BOOST_REQUIRE_EQUAL(a.outputs.size(), 2u);
  BOOST_CHECK_EQUAL(a.outputs[1].name, "r");
  BOOST_TEST(a.outputs[1].sources == (refs{{"public.t", "b"}}), boost::test_tools::per_element());
  auto b = parsed("select j.a, j.b from (t1 join t2 on t1.id = t2.id) as j");
  BOOST_CHECK(b.joins.size() == 1u);
}

BOOST_AUTO_TEST_CASE(scalar_subqueries_and_correlation) {
  auto a = parsed("insert into t (total) select (select sum(o.amount) from orders o "
                  "where o.customer_id = c.id) from customers c where exists "
                  "(select 1 from vip v where v.id = c.id)");
  BOOST_TEST(sources_of(a, "public.t", "total") == (refs{{"public.orders", "amount"}}),
             boost::test_tools::per_element());
  BOOST_TEST(a.tables_read
               == (std::vector<std::string>{"public.customers", "public.orders", "public.vip"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(data_modifying_ctes_write) {
  auto a = parsed("with moved as (delete from queue where done returning id, payload) "
                  "insert into archive (id, payload) select id, payload from moved");
  BOOST_TEST(a.tables_written
               == (std::vector<std::string>{"public.archive", "public.queue"}),
             boost::test_tools::per_element());
  BOOST_TEST(sources_of(a, "public.archive", "payload") == (refs{{"public.queue", "payload"}}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(output_names_follow_postgresql) {
  auto a = parsed("select a, t.b, c as d, count(*), a + 1, cast(e as int), "
                  "case when f then 1 end from t");
  std::vector<std::string> names;
  for (auto& o : a.outputs)
    names.push_back(o.name);
  BOOST_TEST(names == (std::vector<std::string>{"a", "b", "d", "count", "?column?", "e", "case"}),
             boost::test_tools::per_element());
  BOOST_CHECK(a.outputs[0].named && a.outputs[2].named && !a.outputs[4].named);
}

BOOST_AUTO_TEST_CASE(whole_row_references_read_every_column) {
  map_schema_provider catalog({{"public.t", {"a", "b"}}});
  auto a = parsed("select row_to_json(t) as j from t", &catalog);
  BOOST_REQUIRE_EQUAL(a.outputs.size(), 1u);
  BOOST_TEST(a.outputs[0].sources == (refs{{"public.t", "a"}, {"public.t", "b"}}),
             boost::test_tools::per_element());
  // Without the catalog: no column named "t" is invented.
  auto b = parsed("select row_to_json(t) from t");
  BOOST_TEST(b.columns_read.empty());
}

// Issue 13: a relation read into itself is a self-edge, kept like any.
BOOST_AUTO_TEST_CASE(self_edges_are_kept) {
  auto a = parsed("update orders set total = total + 1");
  BOOST_TEST(sources_of(a, "public.orders", "total") == (refs{{"public.orders", "total"}}),
             boost::test_tools::per_element());
  BOOST_TEST(a.table_lineage.empty()); // an UPDATE does not read its target as a source
  auto b = parsed("insert into orders (id, total) select id, total * 2 from orders");
  BOOST_REQUIRE(b.table_lineage.size() == 1u);
  BOOST_TEST(b.table_lineage[0].from == "public.orders");
  BOOST_TEST(b.table_lineage[0].to == "public.orders");
  BOOST_TEST(sources_of(b, "public.orders", "total") == (refs{{"public.orders", "total"}}),
             boost::test_tools::per_element());
  auto c = parsed("update orders set total = 0 where id > 5");
  BOOST_TEST(sources_of(c, "public.orders", "total").empty());
  BOOST_TEST(c.table_lineage.empty());
}

// Issue 13: PostgreSQL's names for the rest of FigureColname's cases.
BOOST_AUTO_TEST_CASE(output_names_of_fields_casts_and_sublinks) {
  auto a = parsed("select (w).asset.id, (arr)[1], 1::int, 'x'::text, nullif(a, b), "
                  "greatest(a, b), least(a, b), current_date, exists (select 1 from u), "
                  "(select max(z) from u), array(select z from u), row(a, b), "
                  "case when f then 1 else g end from t");
  std::vector<std::string> names;
  for (auto& o : a.outputs)
    names.push_back(o.name);
  BOOST_TEST(names == (std::vector<std::string>{"id", "arr", "int4", "text", "nullif", "greatest",
                                                "least", "current_date", "exists", "max",
                                                "array", "row", "g"}),
             boost::test_tools::per_element());
}

// WHEN NOT MATCHED ... INSERT VALUES (x): there is no target row, so x is
// the source's even when the target's columns are unknown too.
BOOST_AUTO_TEST_CASE(merge_not_matched_values_see_only_the_source) {
  auto a = parsed("merge into t using a s on false when not matched then insert (x) values (x)");
  BOOST_TEST(sources_of(a, "public.t", "x") == (refs{{"public.a", "x"}}),
             boost::test_tools::per_element());
}

// A set operation of `SELECT *`s over tables of unknown columns: each
// branch feeds the column of that name; a join of two such tables still
// cannot tell.
BOOST_AUTO_TEST_CASE(union_of_opaque_stars_feeds_by_name) {
  auto a = parsed("select x from (select * from a union all select * from b) s");
  BOOST_REQUIRE(a.outputs.size() == 1u);
  BOOST_TEST(a.outputs[0].sources == (refs{{"public.a", "x"}, {"public.b", "x"}}),
             boost::test_tools::per_element());
  auto j = parsed("select x from (select * from a, b) s");
  BOOST_TEST(j.outputs[0].sources.empty());
}

// Temporary tables live in pg_temp; DROP/ALTER VIEW name views.
BOOST_AUTO_TEST_CASE(temp_tables_and_views_named_by_ddl) {
  auto a = parsed("create temp table tt as select c from s.src");
  BOOST_TEST(a.tables_written == (std::vector<std::string>{"pg_temp.tt"}),
             boost::test_tools::per_element());
  BOOST_TEST(parsed("select c into temporary t2 from s.src").tables_written
               == (std::vector<std::string>{"pg_temp.t2"}), boost::test_tools::per_element());
  BOOST_TEST(parsed("create temp table t3 (a int)").tables_written
               == (std::vector<std::string>{"pg_temp.t3"}), boost::test_tools::per_element());
  BOOST_TEST(parsed("drop view s.v").views == (std::vector<std::string>{"s.v"}),
             boost::test_tools::per_element());
  BOOST_TEST(parsed("drop materialized view s.mv").views == (std::vector<std::string>{"s.mv"}),
             boost::test_tools::per_element());
  BOOST_TEST(parsed("alter view s.v rename to w").views
               == (std::vector<std::string>{"s.v", "s.w"}), boost::test_tools::per_element());
  BOOST_TEST(parsed("create view s.v as select 1").views == (std::vector<std::string>{"s.v"}),
             boost::test_tools::per_element());
  BOOST_TEST(parsed("drop table s.t").views.empty());
}

// A branch that joins two opaque relations is not an alternative: which
// holds x stays unknown (review of 1b34dc1).
BOOST_AUTO_TEST_CASE(union_branch_with_a_join_cannot_tell) {
  auto a = parsed("select x from (select * from a union all select * from b, c) s");
  BOOST_TEST(a.outputs[0].sources.empty());
  auto m = parsed("merge into t using a s on false when not matched and y > 0 "
                  "then insert (x) values (x)");
  BOOST_TEST(sources_of(m, "public.t", "x") == (refs{{"public.a", "x"}}),
             boost::test_tools::per_element());
  BOOST_TEST(m.filter_columns == (refs{{"public.a", "y"}}), boost::test_tools::per_element());
}
