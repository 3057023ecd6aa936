// OpenLineage run events without a store: validation, the datasets and
// column lineage an event names, and the run its events merge into.
#define BOOST_TEST_MODULE lineage_openlineage
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "messages/urn.hpp"
#include "actors/lineage/domain/lineage_keys.hpp"
#include "actors/lineage/domain/openlineage.hpp"
#include "messages/error.hpp"

using namespace almanac;
using namespace almanac::lineage;
using json = nlohmann::json;

namespace {

json event(json outputs = json::array()) {
  return json{{"eventType", "COMPLETE"},
              {"eventTime", "2024-05-01T12:34:56.789Z"},
              {"producer", "https://example.com/test"},
              {"run", {{"runId", "3f5e83fa-3480-44ff-99c5-ff943904e5e8"}}},
              {"job", {{"namespace", "ns"}, {"name", "job"}}},
              {"inputs", {{{"namespace", "postgres://db"}, {"name", "db.public.src"}}}},
              {"outputs", outputs}};
}

json output(json input_fields) {
  return {{"namespace", "postgres://db"},
          {"name", "db.public.dst"},
          {"facets",
           {{"columnLineage", {{"fields", {{"total", {{"inputFields", input_fields}}}}}}}}}};
}

} // namespace

BOOST_AUTO_TEST_CASE(validation_names_the_field) {
  BOOST_CHECK(!validate_openlineage(event()));
  auto e = event();
  e["run"]["runId"] = "not-a-uuid";
  auto err = validate_openlineage(e);
  BOOST_REQUIRE(err);
  BOOST_CHECK(message_of(err).find("run.runId") != std::string::npos);
  e = event();
  e["outputs"] = json::array({1});
  BOOST_CHECK(message_of(validate_openlineage(e)).find("outputs[0].namespace") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(column_lineage_is_read_from_the_outputs) {
  auto e = event({output({{{"namespace", "postgres://db"}, {"name", "db.public.src"},
                           {"field", "amount"}}})});
  auto l = read_openlineage(e);
  BOOST_CHECK_EQUAL(l.inputs.at(0), "urn:almanac:table:db.public.src");
  BOOST_CHECK_EQUAL(l.outputs.at(0), "urn:almanac:table:db.public.dst");
  BOOST_REQUIRE_EQUAL(l.column_edges.size(), 1u);
  BOOST_CHECK_EQUAL(l.column_edges[0].first, "urn:almanac:column:db.public.src.amount");
  BOOST_CHECK_EQUAL(l.column_edges[0].second, "urn:almanac:column:db.public.dst.total");
}

// Found by fuzz/openlineage_fuzz: an input field without a namespace named
// no dataset, and became an edge from "urn:almanac:column:.ID"; one that was
// not an object (or had a non-string field) threw, and the store skipped the
// whole valid event with its table lineage and run.
BOOST_AUTO_TEST_CASE(input_fields_that_name_no_column_are_skipped) {
  auto e = event({output({{{"n!mespace", "x"}, {"name", "CUSTOMERS"}, {"field", "ID"}},
                          1,
                          {{"namespace", "pg"}, {"name", "s.t"}, {"field", 7}},
                          {{"namespace", "pg"}, {"name", "s.t"}, {"field", ""}},
                          {{"namespace", "pg"}, {"name", "s.t"}, {"field", "c"}}})});
  BOOST_REQUIRE(!validate_openlineage(e));
  openlineage_lineage l;
  BOOST_REQUIRE_NO_THROW(l = read_openlineage(e));
  BOOST_REQUIRE_EQUAL(l.column_edges.size(), 1u);
  BOOST_CHECK_EQUAL(l.column_edges[0].first, "urn:almanac:column:pg.s.t.c");
  for (auto& [from, to] : l.column_edges) {
    BOOST_CHECK(catalog::parse_urn(from));
    BOOST_CHECK(catalog::parse_urn(to));
  }
  BOOST_CHECK_EQUAL(column_urn("", "ID"), "");
  BOOST_CHECK_EQUAL(column_urn("urn:almanac:table:s.p.t", ""), "");
}

BOOST_AUTO_TEST_CASE(runs_merge_in_any_order) {
  auto start = event();
  start["eventType"] = "START";
  start["run"]["facets"] = {{"parent", {{"x", 1}}}};
  auto complete = event({output(json::array())});
  auto merged = merge_run(nullptr, complete, 2000);
  merged = merge_run(merged, start, 1000); // older: state and facets stay
  BOOST_CHECK_EQUAL(merged["state"], "COMPLETE");
  BOOST_CHECK_EQUAL(merged["events"], 2);
  BOOST_CHECK_EQUAL(merged["first_event_ms"], 1000);
  BOOST_CHECK_EQUAL(merged["last_event_ms"], 2000);
  BOOST_CHECK(merged["facets"].empty());
  BOOST_CHECK_EQUAL(merged["inputs"].size(), 1u);
  BOOST_CHECK_EQUAL(merged["outputs"].size(), 1u);
  // An event without a job (never valid) merges with a null job rather
  // than reading past the end of the object.
  auto no_job = event();
  no_job.erase("job");
  BOOST_CHECK(merge_run(nullptr, no_job, 1)["job"].is_null());
  BOOST_CHECK_THROW(merge_run(nullptr, json::object(), 1), json::exception);
}
