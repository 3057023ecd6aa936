// Name resolution as PostgreSQL does it (issue 13, docs/lineage.md):
// catalog (database) . schema . relation, search_path for one-part names,
// three-part names into the query's own source, another source, or listed
// as unresolved — never mangled into the relation's name.
#define BOOST_TEST_MODULE lineage_name_resolution
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "actors/lineage/domain/lineage_keys.hpp"

#include <set>

using namespace almanac::lineage;

namespace {

name_context shop() {
  name_context ctx;
  ctx.source = "shop";
  ctx.database = "shopdb";
  // Source "warehouse", whose database is "dwh".
  ctx.source_of = [](const std::string& db) {
    return db == "warehouse" || db == "dwh" ? std::string{"warehouse"} : std::string{};
  };
  return ctx;
}

} // namespace

BOOST_AUTO_TEST_CASE(one_and_two_part_names) {
  auto ctx = shop();
  BOOST_TEST(table_urn(ctx, "orders") == "urn:almanac:table:shop.public.orders");
  BOOST_TEST(table_urn(ctx, "sales.orders") == "urn:almanac:table:shop.sales.orders");
  BOOST_TEST(table_urn(ctx, "sales.orders", true) == "urn:almanac:view:shop.sales.orders");
}

BOOST_AUTO_TEST_CASE(three_part_names) {
  auto ctx = shop();
  // The query's own database, or the source's name: the same source.
  BOOST_TEST(table_urn(ctx, "shopdb.sales.orders") == "urn:almanac:table:shop.sales.orders");
  BOOST_TEST(table_urn(ctx, "shop.sales.orders") == "urn:almanac:table:shop.sales.orders");
  BOOST_TEST(resolve_name(ctx, "shopdb.sales.orders").resolved);
  // Another source's name: that source.
  auto w = resolve_name(ctx, "warehouse.dw.facts");
  BOOST_TEST(w.resolved);
  BOOST_TEST(table_urn(w) == "urn:almanac:table:warehouse.dw.facts");
  // Another source's database: that source.
  BOOST_TEST(table_urn(ctx, "dwh.dw.facts") == "urn:almanac:table:warehouse.dw.facts");
  // Neither: the query's source, unresolved, and not mangled.
  auto u = resolve_name(ctx, "elsewhere.s.t");
  BOOST_TEST(!u.resolved);
  BOOST_TEST(table_urn(u) == "urn:almanac:table:shop.s.t");
  // The old rule split at the first dot: never again.
  BOOST_TEST(table_urn("shop", "shop.s.t") == "urn:almanac:table:shop.s.t");
}

BOOST_AUTO_TEST_CASE(search_path_order) {
  auto ctx = shop();
  ctx.search_path = parse_search_path("\"$user\", sales, public");
  BOOST_TEST(ctx.search_path.size() == 3u);
  BOOST_TEST(ctx.search_path[0] == "$user");
  // Without the catalog: "$user" cannot be known to exist; the first other.
  ctx.user = "ana";
  BOOST_TEST(table_urn(ctx, "orders") == "urn:almanac:table:shop.sales.orders");
  // With it: the first schema that holds the relation, "$user" included.
  std::set<std::string> have{"shop.ana.orders", "shop.public.items"};
  ctx.exists = [&](const std::string& src, const std::string& schema, const std::string& rel) {
    return have.count(src + "." + schema + "." + rel) > 0;
  };
  BOOST_TEST(table_urn(ctx, "orders") == "urn:almanac:table:shop.ana.orders");
  BOOST_TEST(table_urn(ctx, "items") == "urn:almanac:table:shop.public.items");
  // Nowhere: the first candidate (where CREATE would put it).
  BOOST_TEST(table_urn(ctx, "fresh") == "urn:almanac:table:shop.ana.fresh");
}

BOOST_AUTO_TEST_CASE(search_path_syntax) {
  auto p = parse_search_path(" Sales ,\"Mixed Case\", \"we\"\"ird\" ,, public ");
  BOOST_TEST(p.size() == 4u);
  BOOST_TEST(p[0] == "sales");
  BOOST_TEST(p[1] == "Mixed Case");
  BOOST_TEST(p[2] == "we\"ird");
  BOOST_TEST(p[3] == "public");
  BOOST_TEST(parse_search_path("").empty());
}

BOOST_AUTO_TEST_CASE(database_of_a_dsn) {
  BOOST_TEST(dsn_database("host=db1 port=5432 dbname=sales user=u") == "sales");
  BOOST_TEST(dsn_database("dbname='my db' host=x") == "my db");
  BOOST_TEST(dsn_database("postgresql://u@h:5432/pagila?sslmode=require") == "pagila");
  BOOST_TEST(dsn_database("host=x user=u").empty());
}
