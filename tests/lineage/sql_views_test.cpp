// View lineage over the real pagila schema: every view and materialized
// view parses, resolves every column and derives each output column; the
// definition alone (as extraction finds it) gives the same lineage.

#define BOOST_TEST_MODULE lineage_sql_views
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "actors/lineage/sql/view_lineage.hpp"
#include "tests/lineage/test_helpers.hpp"

#include <fstream>
#include <regex>
#include <sstream>

using namespace almanac::lineage;
using refs = std::vector<column_ref>;

namespace {

struct view_sql {
  std::string name;
  std::string statement;  ///< CREATE [MATERIALIZED] VIEW ... ;
  std::string definition; ///< the query after AS (plain views)
};

std::vector<view_sql> pagila_views() {
  std::ifstream in(std::string(PAGILA_DIR) + "/pagila-schema.sql");
  BOOST_REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  auto schema = text.str();
  std::vector<view_sql> out;
  std::regex head(R"(\nCREATE (MATERIALIZED )?VIEW (\S+) AS\n)");
  for (std::sregex_iterator i(schema.begin(), schema.end(), head), end; i != end; ++i) {
    size_t start = i->position() + 1;
    size_t stop = schema.find(";\n", start);
    view_sql v;
    v.name = (*i)[2];
    v.statement = schema.substr(start, stop - start);
    if (!(*i)[1].matched)
      v.definition = schema.substr(i->position() + i->length(), stop - i->position() - i->length());
    out.push_back(v);
  }
  return out;
}

refs sources_of(const analysis& a, const std::string& column) {
  for (auto& e : a.column_lineage)
    if (e.target.column == column)
      return e.sources;
  return {};
}

} // namespace

BOOST_AUTO_TEST_CASE(every_pagila_view_has_column_lineage) {
  auto views = pagila_views();
  BOOST_TEST_MESSAGE(views.size() << " views");
  BOOST_REQUIRE_GE(views.size(), 7u);
  for (auto& v : views) {
    BOOST_TEST_CONTEXT(v.name) {
      auto a = analyze(v.statement);
      BOOST_REQUIRE(!a.parse_error);
      BOOST_CHECK(a.kind == statement_kind::create_view
                  || a.kind == statement_kind::create_materialized_view);
      BOOST_TEST(a.tables_written == std::vector<std::string>{v.name},
                 boost::test_tools::per_element());
      BOOST_CHECK(!a.tables_read.empty());
      BOOST_CHECK(!a.column_lineage.empty());
      BOOST_TEST(a.unresolved_columns.empty(), "unresolved: " << a.unresolved_columns.size());
      if (!v.definition.empty()) {
        auto d = analyze_view(v.name, v.definition);
        BOOST_CHECK(d.kind == statement_kind::create_view);
        BOOST_CHECK_EQUAL(d.column_lineage.size(), a.column_lineage.size());
        for (size_t k = 0; k < d.column_lineage.size() && k < a.column_lineage.size(); ++k) {
          BOOST_CHECK_EQUAL(d.column_lineage[k].target, a.column_lineage[k].target);
          BOOST_TEST(d.column_lineage[k].sources == a.column_lineage[k].sources,
                     boost::test_tools::per_element());
        }
        BOOST_CHECK_EQUAL(d.table_lineage.size(), a.table_lineage.size());
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(pagila_customer_list_and_film_list) {
  for (auto& v : pagila_views()) {
    auto a = analyze(v.statement);
    if (v.name == "public.customer_list") {
      BOOST_TEST(sources_of(a, "name")
                   == (refs{{"public.customer", "first_name"}, {"public.customer", "last_name"}}),
                 boost::test_tools::per_element());
      BOOST_TEST(sources_of(a, "zip code") == (refs{{"public.address", "postal_code"}}),
                 boost::test_tools::per_element());
      BOOST_TEST(sources_of(a, "notes") == (refs{{"public.customer", "activebool"}}),
                 boost::test_tools::per_element());
    }
    if (v.name == "public.film_list") {
      BOOST_TEST(sources_of(a, "actors")
                   == (refs{{"public.actor", "first_name"}, {"public.actor", "last_name"}}),
                 boost::test_tools::per_element());
      BOOST_TEST(sources_of(a, "price") == (refs{{"public.film", "rental_rate"}}),
                 boost::test_tools::per_element());
    }
  }
}

BOOST_AUTO_TEST_CASE(a_definition_that_does_not_parse_keeps_its_error) {
  auto a = analyze_view("public.v", "select from where");
  BOOST_CHECK(a.parse_error);
  BOOST_CHECK(a.tables_written.empty());
}
