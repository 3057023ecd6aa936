// Every message type could cross a node: it is registered with CAF and
// survives CAF's binary serialization (what caf_io puts on the wire).
#define BOOST_TEST_MODULE message_types
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "messages/catalog_messages.hpp"
#include "messages/error.hpp"
#include "messages/events.hpp"
#include "messages/job_messages.hpp"
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
  job_view job;
  job.state = job_state::failed;
  auto printed = to_string(caf::make_message(job));
  BOOST_TEST(printed.find("almanac.job_view") != std::string::npos, printed);
  BOOST_TEST(printed.find("failed") != std::string::npos, printed);
  for (auto name : {"almanac.event_input", "almanac.event_record", "almanac.append_ack",
                    "almanac.desired_entity", "almanac.sync_reply",
                    "std::vector<almanac.desired_entity>", "almanac.job_submitted",
                    "almanac.job_result", "almanac.job_view", "std::vector<almanac.job_view>",
                    "almanac.schedule_view", "std::vector<almanac.schedule_view>"})
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

namespace {

/// A job with every member set, its options and result included.
job_view sample_job() {
  job_view j;
  j.id = "job-000042";
  j.kind = "compose";
  j.source = "pagila";
  j.user = "scheduler:admin";
  j.options = {{"sql", "select 1"}, {"limit", 10}, {"schedule", "sched-ab12cd"}};
  j.state = job_state::succeeded;
  j.done = 1;
  j.total = 1;
  j.result = {{"columns", {"?column?"}}, {"rows", {{1}}}, {"truncated", false}};
  j.attempts = 2;
  j.submitted_ms = 1700000000000;
  j.started_ms = 1700000000100;
  j.finished_ms = 1700000000200;
  j.interrupted = false;
  return j;
}

} // namespace

BOOST_FIXTURE_TEST_CASE(jobs_cross_with_their_options_and_results, fixture) {
  auto j = sample_job();
  std::vector<job_view> list{j, job_view{}};
  list[1].id = "job-000001";
  list[1].state = job_state::failed;
  list[1].error = "interrupted: the node stopped";
  list[1].interrupted = true;
  auto back = round_trip(list);
  BOOST_REQUIRE_EQUAL(back.size(), 2u);
  BOOST_TEST(nlohmann::json(back[0]) == nlohmann::json(j));
  BOOST_TEST(back[0].options == j.options);
  BOOST_TEST(back[0].result == j.result);
  BOOST_TEST(back[0].user == "scheduler:admin");
  BOOST_TEST(back[0].finished_ms == j.finished_ms);
  BOOST_TEST((back[1].state == job_state::failed));
  BOOST_TEST(back[1].result.is_null()); // none stays none
  BOOST_TEST(back[1].options == nlohmann::json::object());
  BOOST_TEST(back[1].interrupted);
  BOOST_TEST(round_trip(job_submitted{"job-000042"}).job == "job-000042");
  // A result may be any JSON value.
  BOOST_TEST(round_trip(job_result{{{"tables", 5}}}).value == nlohmann::json({{"tables", 5}}));
  BOOST_TEST(round_trip(job_result{nlohmann::json::array({1, "a"})}).value
             == nlohmann::json::array({1, "a"}));
  schedule_view s{"sched-ab12cd", "admin", "*/5 * * * *", "compose", "pagila",
                  {{"sql", "select 1"}}, {{"note", "from a newer writer"}}, "job-000042"};
  auto sb = round_trip(std::vector<schedule_view>{s});
  BOOST_REQUIRE_EQUAL(sb.size(), 1u);
  BOOST_TEST(nlohmann::json(sb[0]) == nlohmann::json(s));
  BOOST_TEST(sb[0].options == s.options);
  BOOST_TEST(sb[0].extra == s.extra);
}

BOOST_AUTO_TEST_CASE(jobs_and_schedules_render_as_the_api_shows_them) {
  auto j = nlohmann::json(sample_job());
  BOOST_TEST(j == nlohmann::json::parse(R"({
    "id": "job-000042", "kind": "compose", "source": "pagila", "user": "scheduler:admin",
    "state": "succeeded", "progress": {"done": 1, "total": 1}, "error": null,
    "attempts": 2, "options": {"sql": "select 1", "limit": 10, "schedule": "sched-ab12cd"},
    "submitted_ms": 1700000000000, "started_ms": 1700000000100,
    "finished_ms": 1700000000200,
    "result": {"columns": ["?column?"], "rows": [[1]], "truncated": false}})"), j.dump());
  // A job that has not started: no times but its submission, no result,
  // error null; interrupted only when true.
  job_view queued;
  queued.id = "job-000001";
  auto q = nlohmann::json(queued);
  BOOST_TEST(!q.contains("started_ms"));
  BOOST_TEST(!q.contains("finished_ms"));
  BOOST_TEST(!q.contains("result"));
  BOOST_TEST(!q.contains("interrupted"));
  BOOST_TEST(q["error"].is_null());
  BOOST_TEST(q["state"] == "queued");
  queued.interrupted = true;
  queued.error = "interrupted";
  BOOST_TEST(nlohmann::json(queued)["interrupted"] == true);
  BOOST_TEST(nlohmann::json(queued)["error"] == "interrupted");
  BOOST_TEST(nlohmann::json(job_submitted{"job-000007"}) == nlohmann::json({{"job", "job-000007"}}));
  // A schedule: its event's members (unknown ones too), and last_job once
  // it has submitted one.
  schedule_view s{"sched-1", "admin", "0 * * * *", "extract", "pagila",
                  nlohmann::json::object(), {{"note", "x"}}, ""};
  BOOST_TEST(nlohmann::json(s) == nlohmann::json::parse(R"({"id": "sched-1", "user": "admin",
    "cron": "0 * * * *", "kind": "extract", "source": "pagila", "options": {},
    "note": "x"})"));
  s.last_job = "job-000003";
  BOOST_TEST(nlohmann::json(s)["last_job"] == "job-000003");
}

BOOST_FIXTURE_TEST_CASE(a_frame_with_a_bad_job_result_is_refused, fixture) {
  std::vector<char> buf;
  caf::binary_serializer sink{*sys, buf};
  std::string text = "{\"tables\": ";
  BOOST_REQUIRE(!sink(text));
  job_result out;
  caf::binary_deserializer source{*sys, buf};
  auto err = source(out);
  BOOST_REQUIRE(err);
  BOOST_TEST(render(err).find("a job result in the frame is not JSON") != std::string::npos);
}
