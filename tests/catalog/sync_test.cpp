#define BOOST_TEST_MODULE catalog_sync
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "tests/catalog/test_helpers.hpp"

#include "actors/catalog/domain/sync.hpp"

using namespace almanac;
using namespace almanac::catalog;
using namespace almanac::catalog::test;
using namespace almanac::catalog;
using json = nlohmann::json;
using chain::column;
using chain::schema;
using chain::source;
using chain::table;

namespace {

struct fixture : catalog_fixture {
  fixture() {
    add({{"urn", source}, {"kind", "source"}});
  }

  /// What an extraction of schema s.p with table t and column c wants.
  static std::vector<desired_entity> wanted(const std::string& comment = "") {
    return {{schema, "schema", source, {{"comment", ""}}, ""},
            {table, "table", schema, {{"table_type", "table"}, {"comment", comment}}, comment},
            {column, "column", table,
             {{"data_type", "text"}, {"nullable", true}, {"ordinal", 1}, {"comment", ""}}, ""}};
  }

  sync_result run_sync(const std::vector<desired_entity>& desired) {
    auto res = sync_source(source, desired, {}, "bob", *state);
    BOOST_REQUIRE_MESSAGE(res, why(res));
    append(res->events);
    return *res;
  }

  json get(const std::string& urn) {
    auto x = state->get(urn);
    BOOST_REQUIRE_MESSAGE(x, why(x));
    return *x ? **x : json(nullptr);
  }

  /// Registers a dataset as the OpenLineage route does.
  void openlineage_dataset(const std::string& urn) {
    add({{"urn", urn}, {"kind", "table"},
         {"attributes", {{"openlineage", {{"namespace", "s"}, {"name", "p.x"}}}}}});
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(sync_source_suite, fixture)

BOOST_AUTO_TEST_CASE(extraction_marks_what_it_registers) {
  auto r = run_sync(wanted());
  BOOST_CHECK_EQUAL(r.added, 3u);
  for (auto& urn : {schema, table, column}) {
    BOOST_CHECK_EQUAL(get(urn)["attributes"]["origin"], "extraction");
    BOOST_CHECK(extracted(get(urn)));
  }
  BOOST_CHECK_EQUAL(run_sync(wanted()).events.size(), 0u);
}

BOOST_AUTO_TEST_CASE(openlineage_datasets_survive_a_re_extraction) {
  run_sync(wanted());
  openlineage_dataset("urn:almanac:table:s.p.ol_output");
  add({{"urn", "urn:almanac:schema:s.q"}, {"kind", "schema"}}); // OpenLineage's schema
  openlineage_dataset("urn:almanac:table:s.q.other");
  add({{"urn", "urn:almanac:table:s.p.by_hand"}, {"kind", "table"}}); // through the API
  BOOST_CHECK(!extracted(get("urn:almanac:table:s.p.ol_output")));
  auto r = run_sync(wanted());
  BOOST_CHECK_EQUAL(r.removed, 0u);
  BOOST_CHECK_EQUAL(r.events.size(), 0u);
  for (auto urn : {"urn:almanac:table:s.p.ol_output", "urn:almanac:schema:s.q",
                   "urn:almanac:table:s.q.other", "urn:almanac:table:s.p.by_hand"})
    BOOST_CHECK_MESSAGE(!get(urn).is_null(), urn << " was removed");
}

BOOST_AUTO_TEST_CASE(a_parent_stays_while_others_have_children_below_it) {
  run_sync(wanted());
  openlineage_dataset("urn:almanac:table:s.p.ol_output");
  // The schema is gone from the source: its extracted table and column go,
  // the schema stays (the OpenLineage dataset is still in it).
  auto r = run_sync({});
  BOOST_CHECK_EQUAL(r.removed, 2u);
  BOOST_CHECK(get(column).is_null());
  BOOST_CHECK(get(table).is_null());
  BOOST_CHECK(!get(schema).is_null());
  BOOST_CHECK(!get("urn:almanac:table:s.p.ol_output").is_null());
}

BOOST_AUTO_TEST_CASE(entities_extracted_before_origins_are_still_removed) {
  run_sync(wanted());
  // As an older extraction registered it: no origin, the source's comment.
  add({{"urn", "urn:almanac:table:s.p.old"}, {"kind", "table"},
       {"attributes", {{"table_type", "table"}, {"comment", ""}}}});
  add({{"urn", "urn:almanac:column:s.p.old.x"}, {"kind", "column"},
       {"attributes", {{"data_type", "int"}, {"comment", ""}}}});
  auto r = run_sync(wanted());
  BOOST_CHECK_EQUAL(r.removed, 2u);
  BOOST_CHECK(get("urn:almanac:table:s.p.old").is_null());
}

BOOST_AUTO_TEST_CASE(an_edit_keeps_what_others_set) {
  run_sync(wanted());
  auto col = get(column);
  auto attrs = col["attributes"];
  attrs["profile_raw_values"] = true;
  attrs["profile"] = {{"row_count", 3}};
  json payload{{"user", "root"}, {"urn", column}, {"version", 2}, {"previous_version", 1},
               {"fields", {{"attributes", attrs}}}};
  append({{event_tag("EntityEdited"), column, payload.dump()}});
  auto changed = wanted();
  changed[2].attributes["data_type"] = "varchar";
  auto r = run_sync(changed);
  BOOST_CHECK_EQUAL(r.changed, 1u);
  auto a = get(column)["attributes"];
  BOOST_CHECK_EQUAL(a["data_type"], "varchar");
  BOOST_CHECK_EQUAL(a["origin"], "extraction");
  BOOST_CHECK_EQUAL(a["profile_raw_values"], true);
  BOOST_CHECK_EQUAL(a["profile"]["row_count"], 3);
}

BOOST_AUTO_TEST_CASE(an_unchanged_source_edits_nothing_but_a_foreign_attribute) {
  // What others keep (a profile) leaves an unchanged run a no-op; an
  // attribute extraction does not know is not kept, so a run removes it.
  run_sync(wanted());
  auto edit = [&](const char* key, json value) {
    auto e = get(column);
    auto attrs = e["attributes"];
    attrs[key] = value;
    auto v = e["version"].get<uint64_t>();
    json payload{{"user", "root"}, {"urn", column}, {"version", v + 1}, {"previous_version", v},
                 {"fields", {{"attributes", attrs}}}};
    append({{event_tag("EntityEdited"), column, payload.dump()}});
  };
  edit("profile", {{"row_count", 3}});
  BOOST_CHECK_EQUAL(run_sync(wanted()).changed, 0u);
  edit("note", 1);
  BOOST_CHECK_EQUAL(run_sync(wanted()).changed, 1u);
  auto a = get(column)["attributes"];
  BOOST_CHECK(!a.contains("note"));
  BOOST_CHECK_EQUAL(a["profile"]["row_count"], 3);
}

BOOST_AUTO_TEST_SUITE_END()
