// The typed events: one codec per type, unknown fields kept, errors that
// name the field, and schemas that match the registry and what the codec
// writes.
#define BOOST_TEST_MODULE event_types
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "messages/error.hpp"
#include "messages/event_types.hpp"

#include <set>

using namespace almanac;
using nlohmann::json;

BOOST_AUTO_TEST_CASE(an_edit_round_trips_and_keeps_unknown_fields) {
  ev::entity_edited e;
  e.user = "sam";
  e.urn = "urn:almanac:table:pg.public.film";
  e.version = 3;
  e.previous_version = 2;
  e.fields_set.title = "Films";
  e.fields_set.tags = std::vector<std::string>{"gold"};
  auto j = ev::to_json(e);
  BOOST_TEST(j["fields"]["title"] == "Films");
  BOOST_TEST(!j["fields"].contains("description")); // absent: unchanged
  j["from_a_newer_writer"] = {{"x", 1}};
  j["fields"]["owner_team"] = "data";
  auto back = ev::from_json<ev::entity_edited>(j);
  BOOST_REQUIRE(back);
  BOOST_TEST(back->urn == e.urn);
  BOOST_TEST(*back->fields_set.title == "Films");
  BOOST_TEST(!back->fields_set.description);
  BOOST_TEST(back->extra["from_a_newer_writer"]["x"] == 1);
  BOOST_TEST(back->fields_set.extra["owner_team"] == "data");
  BOOST_TEST(ev::to_json(*back) == j); // nothing lost
}

BOOST_AUTO_TEST_CASE(errors_name_the_field) {
  auto j = json{{"user", "sam"}, {"urn", "u"}, {"version", "three"},
                {"previous_version", 2}, {"fields", json::object()}};
  auto e = ev::from_json<ev::entity_edited>(j);
  BOOST_REQUIRE(!e);
  BOOST_TEST(render(e.error()).find("field 'version' must be a non-negative integer")
             != std::string::npos);
  j.erase("version");
  e = ev::from_json<ev::entity_edited>(j);
  BOOST_REQUIRE(!e);
  BOOST_TEST(render(e.error()).find("field 'version' is missing") != std::string::npos);
  auto q = ev::decode<ev::query_observed>(R"({"joins": [{"left": 1}]})");
  BOOST_REQUIRE(!q);
  BOOST_TEST(!ev::decode<ev::query_observed>("{not json"));
  auto nested = json{{"views", {{{"user", "a"}, {"urn", "u"}, {"count", -1}}}}};
  auto v = ev::from_json<ev::entity_viewed>(nested);
  BOOST_REQUIRE(!v);
  BOOST_TEST(render(v.error()).find("views[0].count") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_query_round_trips) {
  ev::query_observed q;
  q.origin = "query_log";
  q.source = "pg";
  q.sql = "insert into b select a.x from a join c on a.id = c.id";
  q.kind = "insert";
  q.normalized = q.sql;
  q.execution_id = "e1";
  q.fingerprint = "f1";
  q.tables_read = {"urn:almanac:table:pg.public.a"};
  q.joins.push_back({"urn:a", "urn:c", {{"id", "id"}}});
  q.table_lineage.push_back({"urn:a", "urn:b"});
  q.column_lineage.push_back({"urn:b/x", {"urn:a/x"}});
  auto j = ev::to_json(q);
  BOOST_TEST(j["parse_error"].is_null()); // required: written as null
  BOOST_TEST(j["joins"][0]["columns"][0] == json::array({"id", "id"}));
  auto back = ev::from_json<ev::query_observed>(j);
  BOOST_REQUIRE(back);
  BOOST_TEST(ev::to_json(*back) == j);
  auto ev = ev::to_event(q, "query:f1");
  BOOST_TEST(ev.type == "QueryObserved@1");
  BOOST_TEST(ev::is<ev::query_observed>(ev.type));
  BOOST_TEST(!ev::is<ev::query_observed>("QueryObservedX@1"));
  BOOST_TEST(!ev::is<ev::entity_edited>(ev.type));
}

BOOST_AUTO_TEST_CASE(every_registered_type_has_a_schema) {
  auto& schemas = ev::event_schemas();
  BOOST_REQUIRE_EQUAL(schemas.size(), event_types().size());
  for (size_t i = 0; i < schemas.size(); ++i) {
    BOOST_TEST(schemas[i].type == event_types()[i].name);
    BOOST_TEST(schemas[i].version == event_types()[i].version);
    auto& s = schemas[i].schema;
    BOOST_TEST(s["type"] == "object");
    BOOST_TEST(s["title"] == schemas[i].type);
    for (auto& [name, prop] : s["properties"].items())
      BOOST_TEST(prop.contains("description"), schemas[i].type << "." << name);
  }
  auto& edited = schemas[1].schema;
  BOOST_TEST(edited["properties"]["fields"]["properties"].contains("title"));
  std::set<std::string> required(edited["required"].begin(), edited["required"].end());
  BOOST_TEST(required.count("urn") == 1);
  BOOST_TEST(required.count("fields") == 1);
}
