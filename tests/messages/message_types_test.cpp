// Every message type could cross a node: it is registered with CAF and
// survives CAF's binary serialization (what caf_io puts on the wire).
#define BOOST_TEST_MODULE message_types
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "messages/catalog_messages.hpp"
#include "messages/error.hpp"
#include "messages/events.hpp"
#include "messages/message_types.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/message.hpp>
#include <caf/make_message.hpp>

using namespace almanac;

namespace {

struct fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  fixture() {
    add_message_types(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
  }

  template <class T>
  T round_trip(const T& x) {
    std::vector<char> buf;
    caf::binary_serializer sink{*sys, buf};
    auto copy = x;
    BOOST_REQUIRE(!sink(copy));
    T out{};
    caf::binary_deserializer source{*sys, buf};
    BOOST_REQUIRE(!source(out));
    return out;
  }
};

} // namespace

BOOST_FIXTURE_TEST_CASE(desired_entities_cross_with_their_attributes, fixture) {
  std::vector<desired_entity> xs{
    {"urn:almanac:table:pg.public.film", "table", "urn:almanac:schema:pg.public",
     {{"table_type", "BASE TABLE"}, {"primary_key", {"film_id"}}}, "films"},
    {"urn:almanac:column:pg.public.film.title", "column", "urn:almanac:table:pg.public.film",
     nlohmann::json::object(), ""}};
  auto back = round_trip(xs);
  BOOST_REQUIRE_EQUAL(back.size(), 2u);
  BOOST_TEST(back[0].urn == xs[0].urn);
  BOOST_TEST(back[0].comment == "films");
  BOOST_TEST(back[0].attributes == xs[0].attributes);
  BOOST_TEST(back[1].attributes.is_object());
}

BOOST_FIXTURE_TEST_CASE(events_and_replies_cross, fixture) {
  std::vector<event_input> evs{{"EntityEdited@1", "urn:k", R"({"urn":"urn:k"})"}};
  auto back = round_trip(evs);
  BOOST_TEST(back[0].payload == evs[0].payload);
  auto reply = round_trip(sync_reply{"urn:almanac:source:pg", 3, 2, 1, 6, 41});
  BOOST_TEST(reply.source == "urn:almanac:source:pg");
  BOOST_TEST(reply.offset == 41u);
  BOOST_TEST(reply.removed == 1u);
}

BOOST_FIXTURE_TEST_CASE(types_are_known_by_name, fixture) {
  // A registered type prints by its name, not as an unknown type.
  auto msg = caf::make_message(sync_reply{"s", 1, 0, 0, 1, 7});
  BOOST_TEST(to_string(msg).find("almanac.sync_reply") != std::string::npos);
  for (auto name : {"almanac.event_input", "almanac.event_record", "almanac.append_ack",
                    "almanac.desired_entity", "almanac.sync_reply",
                    "std::vector<almanac.desired_entity>"})
    BOOST_TEST(static_cast<bool>(sys->types().make_value(name)), name);
}

BOOST_FIXTURE_TEST_CASE(a_frame_with_bad_attributes_is_refused, fixture) {
  // The same layout as a desired_entity (urn, kind, parent, comment, then
  // the attributes' JSON text), with attributes that are not an object.
  std::vector<char> buf;
  caf::binary_serializer sink{*sys, buf};
  std::string urn = "urn:almanac:table:pg.public.film", kind = "table", parent = "p",
              comment = "", attributes = "[1, 2";
  BOOST_REQUIRE(!sink(urn, kind, parent, comment, attributes));
  desired_entity out;
  caf::binary_deserializer source{*sys, buf};
  auto err = source(out);
  BOOST_REQUIRE(err);
  BOOST_TEST(render(err).find("attributes in the frame are not a JSON object")
             != std::string::npos);
}
