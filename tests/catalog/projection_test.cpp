#define BOOST_TEST_MODULE catalog_projection
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "tests/catalog/test_helpers.hpp"

#include "messages/time.hpp"
#include "messages/urn.hpp"

#include <atomic>
#include <thread>

using namespace almanac;
using namespace almanac::catalog;
using namespace almanac::catalog::test;
using json = nlohmann::json;

namespace {

using chain::column;
using chain::schema;
using chain::source;
using chain::table;

struct fixture : catalog_fixture {
  /// The current entity, which must exist.
  json must_get(const std::string& urn) {
    auto x = state->get(urn);
    BOOST_REQUIRE_MESSAGE(x, why(x));
    BOOST_REQUIRE_MESSAGE(*x, urn + " not found");
    return **x;
  }

  bool exists(const std::string& urn) {
    auto x = state->get(urn);
    BOOST_REQUIRE_MESSAGE(x, why(x));
    return x->has_value();
  }

  json changes(const std::string& urn) {
    auto h = state->history(urn);
    BOOST_REQUIRE_MESSAGE(h, why(h));
    BOOST_REQUIRE_MESSAGE(*h, "no history for " + urn);
    return (**h)["changes"];
  }

  caf::expected<command_result<edit_reply>> edit(const std::string& urn, const json& body) {
    return edit_entity(urn, body, std::nullopt, "alice", *state);
  }

  caf::expected<command_result<remove_reply>> remove(const std::string& urn) {
    return remove_entity(urn, std::nullopt, false, "root", *state);
  }

  json status() {
    return json::parse(state->status());
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(projection, fixture)

BOOST_AUTO_TEST_CASE(register_edit_remove) {
  add_chain(); // offsets 0..3
  auto t = must_get(table);
  BOOST_CHECK_EQUAL(t["urn"], table);
  BOOST_CHECK_EQUAL(t["kind"], "table");
  BOOST_CHECK_EQUAL(t["name"], "t");
  BOOST_CHECK_EQUAL(t["parent"], schema);
  BOOST_CHECK_EQUAL(t["version"], 1);
  BOOST_CHECK_EQUAL(t["children"], json{column});
  BOOST_CHECK_EQUAL(t["created"]["offset"], 2);
  BOOST_CHECK_EQUAL(t["created"]["user"], "bob");
  for (auto field : {"title", "description", "tags", "stewards", "terms", "deprecated",
                     "endorsed", "attributes"})
    BOOST_CHECK_MESSAGE(t.contains(field), field);
  BOOST_CHECK_EQUAL(must_get(source)["children"], json{schema});
  BOOST_CHECK_EQUAL(must_get(source)["parent"], nullptr);
  // Stewards are existing users.
  append({{event_tag("UserCreated"), "urn:almanac:user:alice",
           json{{"user", "root"}, {"name", "alice"}, {"role", "steward"}}.dump()}}); // 4
  commit(edit(table, {{"description", "Films."}, {"stewards", {"alice"}}})); // 5
  t = must_get(table);
  BOOST_CHECK_EQUAL(t["version"], 2);
  BOOST_CHECK_EQUAL(t["description"], "Films.");
  BOOST_CHECK_EQUAL(t["stewards"], json{"alice"});
  BOOST_CHECK_EQUAL(t["updated"]["offset"], 5);
  BOOST_CHECK_EQUAL(t["updated"]["user"], "alice");
  BOOST_CHECK_EQUAL(t["created"]["offset"], 2);
  BOOST_CHECK_EQUAL(status()["entities"], 4);
  commit(remove(column)); // 6
  BOOST_CHECK(!exists(column));
  BOOST_CHECK_EQUAL(must_get(table)["children"], json::array());
  BOOST_CHECK_EQUAL(status()["entities"], 3);
  BOOST_CHECK_EQUAL(state->checkpoint(), 7u);
  // The removed column keeps its history.
  auto h = changes(column);
  BOOST_REQUIRE_EQUAL(h.size(), 2u);
  BOOST_CHECK_EQUAL(h[1]["event"], "removed");
  BOOST_CHECK_EQUAL(h[1]["user"], "root");
  BOOST_CHECK_EQUAL(h[1]["version"], 2);
  // Registering it again starts a new life with the old history.
  add({{"urn", column}, {"kind", "column"}, {"description", "again"}}); // 7
  BOOST_CHECK_EQUAL(must_get(column)["version"], 1);
  BOOST_CHECK_EQUAL(must_get(table)["children"], json{column});
  BOOST_CHECK_EQUAL(changes(column).size(), 3u);
}

BOOST_AUTO_TEST_CASE(children_are_sorted_and_current) {
  add({{"urn", source}, {"kind", "source"}});
  add({{"urn", schema}, {"kind", "schema"}});
  for (auto name : {"zeta", "alpha", "mid dle", "beta"})
    add({{"urn", *make_urn(entity_kind::table, {"s", "p", name})}, {"kind", "table"}});
  add({{"urn", "urn:almanac:view:s.p.v"}, {"kind", "view"}});
  BOOST_CHECK_EQUAL(must_get(schema)["children"],
                    (json{"urn:almanac:table:s.p.alpha", "urn:almanac:table:s.p.beta",
                          "urn:almanac:table:s.p.mid%20dle", "urn:almanac:table:s.p.zeta",
                          "urn:almanac:view:s.p.v"}));
  commit(remove("urn:almanac:table:s.p.beta"));
  BOOST_CHECK_EQUAL(must_get(schema)["children"].size(), 4u);
  // A URN that is a prefix of another does not see the other's children.
  add({{"urn", "urn:almanac:schema:s.p2"}, {"kind", "schema"}});
  add({{"urn", "urn:almanac:table:s.p2.x"}, {"kind", "table"}});
  BOOST_CHECK_EQUAL(must_get(schema)["children"].size(), 4u);
  BOOST_CHECK_EQUAL(must_get("urn:almanac:schema:s.p2")["children"],
                    json{"urn:almanac:table:s.p2.x"});
}

BOOST_AUTO_TEST_CASE(history_order_and_content) {
  add_chain(); // 0..3
  commit(edit(table, {{"title", "T"}}));                        // 4
  commit(edit(table, {{"title", "T"}, {"deprecated", true}}));  // 5: only deprecated
  auto h = changes(table);
  BOOST_REQUIRE_EQUAL(h.size(), 3u);
  BOOST_CHECK_EQUAL(h[0]["event"], "registered");
  BOOST_CHECK_EQUAL(h[0]["offset"], 2);
  BOOST_CHECK_EQUAL(h[0]["user"], "bob");
  BOOST_CHECK_EQUAL(h[0]["version"], 1);
  BOOST_CHECK_EQUAL(h[0]["fields"]["urn"], table);
  BOOST_CHECK_EQUAL(h[0]["fields"]["parent"], schema);
  BOOST_CHECK_EQUAL(h[1]["offset"], 4);
  BOOST_CHECK_EQUAL(h[1]["user"], "alice");
  BOOST_CHECK_EQUAL(h[1]["fields"], (json{{"title", "T"}}));
  BOOST_CHECK_EQUAL(h[2]["offset"], 5);
  BOOST_CHECK_EQUAL(h[2]["version"], 3);
  BOOST_CHECK_EQUAL(h[2]["fields"], (json{{"deprecated", true}}));
  // Record times: the fixture's clock advances 1 s per record.
  BOOST_CHECK_EQUAL(h[2]["time"], iso_time(1714566896000 + 6000));
  BOOST_CHECK_EQUAL(h[2]["time"], "2024-05-01T12:35:02.000Z");
  BOOST_CHECK(!h[2].contains("state"));
  auto none = state->history("urn:almanac:table:s.p.never");
  BOOST_REQUIRE(none);
  BOOST_CHECK(!*none);
}

BOOST_AUTO_TEST_CASE(history_pages_newest_first) {
  add_chain(); // 0..3, the table registered at 2
  for (int i = 0; i < 5; ++i)
    commit(edit(table, {{"title", "T" + std::to_string(i)}})); // 4..8
  auto page = [&](size_t limit, uint64_t before) {
    auto h = state->history(table, limit, before);
    BOOST_REQUIRE_MESSAGE(h, why(h));
    BOOST_REQUIRE(*h);
    return **h;
  };
  auto offsets = [](const json& p) {
    std::vector<uint64_t> out;
    for (auto& c : p["changes"]) out.push_back(c["offset"]);
    return out;
  };
  auto first = page(2, 0); // the newest two, oldest first
  BOOST_CHECK((offsets(first) == std::vector<uint64_t>{7, 8}));
  BOOST_CHECK_EQUAL(first["more"], true);
  BOOST_CHECK_EQUAL(first["before"], 7);
  auto second = page(2, first["before"]);
  BOOST_CHECK((offsets(second) == std::vector<uint64_t>{5, 6}));
  auto last = page(2, second["before"]);
  BOOST_CHECK((offsets(last) == std::vector<uint64_t>{2, 4}));
  BOOST_CHECK_EQUAL(last["more"], false);
  BOOST_CHECK(!last.contains("before"));
  auto all = page(SIZE_MAX, 0);
  BOOST_CHECK((offsets(all) == std::vector<uint64_t>{2, 4, 5, 6, 7, 8}));
  BOOST_CHECK_EQUAL(all["more"], false);
}

BOOST_AUTO_TEST_CASE(time_travel_by_offset) {
  add_chain();                                      // 0..3, table at 2
  commit(edit(table, {{"title", "v2"}}));           // 4
  commit(remove(column));                           // 5
  commit(edit(table, {{"title", "v3"}}));           // 6
  auto at = [&](uint64_t offset) {
    auto x = state->get_as_of(table, offset);
    BOOST_REQUIRE_MESSAGE(x, why(x));
    return *x;
  };
  BOOST_CHECK(!at(1));
  BOOST_CHECK_EQUAL((*at(2))["version"], 1);
  BOOST_CHECK_EQUAL((*at(2))["children"], json::array()); // column came at 3
  BOOST_CHECK_EQUAL((*at(3))["children"], json{column});
  BOOST_CHECK_EQUAL((*at(4))["title"], "v2");
  BOOST_CHECK_EQUAL((*at(4))["children"], json{column});
  BOOST_CHECK_EQUAL((*at(5))["children"], json::array());
  BOOST_CHECK_EQUAL((*at(5))["title"], "v2");
  BOOST_CHECK_EQUAL((*at(6))["title"], "v3");
  BOOST_CHECK_EQUAL((*at(1000))["version"], 3);
  auto col = state->get_as_of(column, 4);
  BOOST_REQUIRE(col && *col);
  auto gone = state->get_as_of(column, 5);
  BOOST_REQUIRE(gone);
  BOOST_CHECK(!*gone);
}

BOOST_AUTO_TEST_CASE(time_travel_by_time) {
  // Record n is stamped base + (n + 1) s.
  const int64_t base = now_ms;
  add_chain();                               // table at base + 3 s
  commit(edit(table, {{"title", "v2"}}));    // base + 5 s
  auto at = [&](int64_t ms) {
    auto x = state->get_as_of_time(table, ms);
    BOOST_REQUIRE_MESSAGE(x, why(x));
    return *x;
  };
  BOOST_CHECK(!at(base + 2999));
  BOOST_CHECK_EQUAL((*at(base + 3000))["version"], 1);
  BOOST_CHECK_EQUAL((*at(base + 3000))["children"], json::array());
  BOOST_CHECK_EQUAL((*at(base + 4000))["children"], json{column});
  BOOST_CHECK_EQUAL((*at(base + 4999))["title"], "");
  BOOST_CHECK_EQUAL((*at(base + 5000))["title"], "v2");
  auto text = parse_iso_time(iso_time(base + 5000));
  BOOST_REQUIRE(text);
  BOOST_CHECK_EQUAL((*at(*text))["version"], 2);
}

BOOST_AUTO_TEST_CASE(several_events_on_one_entity_in_one_batch) {
  add({{"urn", source}, {"kind", "source"}});
  add({{"urn", schema}, {"kind", "schema"}});
  // The commands validate against applied state only, so write the
  // payloads of this batch by hand.
  std::vector<event_input> batch;
  json t = {{"user", "bob"}, {"urn", table}, {"kind", "table"}, {"name", "t"},
            {"parent", schema}, {"version", 1}};
  json c = {{"user", "bob"}, {"urn", column}, {"kind", "column"}, {"name", "c"},
            {"parent", table}, {"version", 1}};
  auto edited = [&](int version, json fields) {
    return event_input{"EntityEdited@1", table,
                       json{{"user", "alice"}, {"urn", table}, {"version", version},
                            {"previous_version", version - 1}, {"fields", fields}}.dump()};
  };
  batch.push_back({"EntityRegistered@1", table, t.dump()});                // 2
  batch.push_back({"EntityRegistered@1", column, c.dump()});               // 3
  batch.push_back(edited(2, {{"title", "one"}}));                          // 4
  batch.push_back(edited(3, {{"tags", {"x"}}}));                           // 5
  batch.push_back({"EntityRemoved@1", column,
                   json{{"user", "root"}, {"urn", column}, {"kind", "column"},
                        {"parent", table}, {"version", 2}}.dump()});                 // 6
  batch.push_back({"EntityRegistered@1", column, c.dump()});               // 7
  batch.push_back(edited(4, {{"title", "two"}}));                          // 8
  append(batch);
  auto got = must_get(table);
  BOOST_CHECK_EQUAL(got["version"], 4);
  BOOST_CHECK_EQUAL(got["title"], "two");
  BOOST_CHECK_EQUAL(got["tags"], json{"x"});
  BOOST_CHECK_EQUAL(got["created"]["offset"], 2);
  BOOST_CHECK_EQUAL(got["updated"]["offset"], 8);
  BOOST_CHECK_EQUAL(got["children"], json{column});
  BOOST_CHECK_EQUAL(changes(table).size(), 4u);
  BOOST_CHECK_EQUAL(changes(column).size(), 3u);
  BOOST_CHECK_EQUAL(must_get(column)["version"], 1);
  BOOST_CHECK_EQUAL(status()["entities"], 4);
  BOOST_CHECK_EQUAL(status()["skipped"], 0);
  BOOST_CHECK_EQUAL((*state->get_as_of(table, 4).value())["title"], "one");
  BOOST_CHECK_EQUAL((*state->get_as_of(table, 6).value())["children"], json::array());
}

BOOST_AUTO_TEST_CASE(reopen_resumes_from_checkpoint) {
  add_chain();
  commit(edit(table, {{"title", "before"}}));
  BOOST_CHECK_EQUAL(state->checkpoint(), 5u);
  reopen();
  BOOST_CHECK_EQUAL(state->checkpoint(), 5u);
  BOOST_CHECK_EQUAL(*state->open(), 5u); // open() again is harmless
  BOOST_CHECK_EQUAL(must_get(table)["title"], "before");
  commit(edit(table, {{"title", "after"}}));
  BOOST_CHECK_EQUAL(must_get(table)["version"], 3);
  BOOST_CHECK_EQUAL(changes(table).size(), 3u);
  BOOST_CHECK_EQUAL(status()["entities"], 4);
  // An empty batch moves the checkpoint only.
  BOOST_REQUIRE(!state->apply({}, 10));
  reopen();
  BOOST_CHECK_EQUAL(state->checkpoint(), 10u);
}

BOOST_AUTO_TEST_CASE(reset_clears_everything) {
  add_chain();
  BOOST_REQUIRE(!state->reset());
  BOOST_CHECK_EQUAL(state->checkpoint(), 0u);
  BOOST_CHECK(!exists(table));
  BOOST_CHECK(!state->history(table).value());
  BOOST_CHECK(!state->get_as_of(table, 100).value());
  BOOST_CHECK_EQUAL(status()["entities"], 0);
  reopen();
  BOOST_CHECK_EQUAL(state->checkpoint(), 0u);
  // Rebuilding from offset 0 gives the same state again.
  next_offset = 0;
  add_chain();
  BOOST_CHECK_EQUAL(must_get(table)["version"], 1);
  BOOST_CHECK_EQUAL(changes(table).size(), 1u);
}

BOOST_AUTO_TEST_CASE(bad_records_are_skipped_not_fatal) {
  add({{"urn", source}, {"kind", "source"}});
  append({{"EntityEdited@1", "x", "not json"},
          {"EntityEdited@1", "x", json{{"urn", "urn:almanac:source:none"},
                                       {"fields", {{"title", "t"}}}}.dump()},
          {"EntityRegistered@1", source, json{{"urn", source}, {"kind", "source"}}.dump()},
          {"EntityEdited@1", source, json{{"urn", 5}}.dump()},
          {"EntityEdited@1", source, json{{"urn", source}, {"user", "u"}, {"version", 2},
                                          {"previous_version", 1},
                                          {"fields", {{"title", "ok"}}}}.dump()}});
  auto s = status();
  BOOST_CHECK_EQUAL(s["skipped"], 4);
  BOOST_CHECK(s["last_skip"].get<std::string>().find("offset 4") != std::string::npos);
  BOOST_CHECK_EQUAL(must_get(source)["title"], "ok");
  BOOST_CHECK_EQUAL(must_get(source)["version"], 2);
  BOOST_CHECK_EQUAL(state->checkpoint(), 6u);
}

BOOST_AUTO_TEST_CASE(reads_while_applying) {
  add_chain();
  std::atomic<bool> done{false};
  std::atomic<int> bad{0};
  std::thread reader{[&] {
    int64_t last = 0;
    while (!done) {
      auto x = state->get(table);
      if (!x || !*x) {
        ++bad;
        continue;
      }
      auto v = (**x)["version"].get<int64_t>();
      // Versions never go back, and the children are always there.
      if (v < last || (**x)["children"] != json{column})
        ++bad;
      last = v;
    }
  }};
  for (int i = 0; i < 50; ++i)
    commit(edit(table, {{"title", "t" + std::to_string(i)}}));
  done = true;
  reader.join();
  BOOST_CHECK_EQUAL(bad.load(), 0);
  BOOST_CHECK_EQUAL(must_get(table)["version"], 51);
}

BOOST_AUTO_TEST_SUITE_END()
