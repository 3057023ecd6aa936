#define BOOST_TEST_MODULE jobs_job_history
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "actors/jobs/job_history.hpp"

using namespace almanac;
using namespace almanac::jobs;
using json = nlohmann::json;

namespace {

struct fixture {
  job_history history;
  uint64_t offset = 0;

  void event(const std::string& type, json payload) {
    event_record r;
    r.offset = offset++;
    r.timestamp_ms = 1000 * static_cast<int64_t>(offset);
    r.type = event_tag(type);
    r.key = "job:" + (payload["job"].is_string() ? payload["job"].get<std::string>() : "");
    r.payload = payload.dump();
    history.apply(r);
  }

  void submitted(const std::string& id) {
    event("JobSubmitted", {{"job", id}, {"kind", "extract"}, {"source", "pagila"},
                           {"user", "admin"}, {"state", "queued"},
                           {"options", {{"tables", {"public.film"}}}}});
  }

  void started(const std::string& id, uint64_t attempt) {
    event("JobProgressed", {{"job", id}, {"kind", "extract"}, {"source", "pagila"},
                            {"user", "admin"}, {"state", "running"}, {"attempt", attempt}});
  }

  void finished(const std::string& id, json extra) {
    json p{{"job", id}, {"kind", "extract"}, {"source", "pagila"}, {"user", "admin"},
           {"done", 30}, {"total", 30}, {"attempts", 1}};
    p.update(extra);
    event("JobFinished", p);
  }
};

} // namespace

BOOST_AUTO_TEST_CASE(ids_and_numbers) {
  BOOST_CHECK_EQUAL(job_id(1), "job-000001");
  BOOST_CHECK_EQUAL(job_id(1234567), "job-1234567");
  BOOST_CHECK_EQUAL(*job_number("job-000042"), 42u);
  BOOST_CHECK(!job_number("job-"));
  BOOST_CHECK(!job_number("job-12x"));
  BOOST_CHECK(!job_number("sched-1"));
}

BOOST_FIXTURE_TEST_CASE(an_empty_log_starts_at_one, fixture) {
  BOOST_CHECK_EQUAL(history.next_number(), 1u);
  BOOST_CHECK(history.jobs().empty());
  BOOST_CHECK(history.interrupt_active(5).empty());
}

BOOST_FIXTURE_TEST_CASE(finished_jobs_come_back_as_they_ended, fixture) {
  submitted("job-000001");
  started("job-000001", 1);
  event("JobProgressed", {{"job", "job-000001"}, {"kind", "extract"}, {"source", "pagila"},
                          {"user", "admin"}, {"state", "running"}, {"done", 10}, {"total", 30}});
  BOOST_CHECK_EQUAL(history.jobs().at("job-000001").done, 10u);
  finished("job-000001", {{"state", "succeeded"}, {"result", {{"added", 204}}}});
  submitted("job-000002");
  started("job-000002", 1);
  finished("job-000002", {{"state", "failed"}, {"error", "no such host"}});
  BOOST_CHECK_EQUAL(history.next_number(), 3u);
  auto& a = history.jobs().at("job-000001");
  BOOST_CHECK(a.state == job_state::succeeded);
  BOOST_CHECK_EQUAL(a.kind, "extract");
  BOOST_CHECK_EQUAL(a.source, "pagila");
  BOOST_CHECK_EQUAL(a.user, "admin");
  BOOST_CHECK_EQUAL(a.options, (json{{"tables", {"public.film"}}}));
  BOOST_CHECK_EQUAL(a.result, (json{{"added", 204}}));
  BOOST_CHECK_EQUAL(a.done, 30u);
  BOOST_CHECK_EQUAL(a.attempts, 1u);
  BOOST_CHECK_EQUAL(a.submitted_ms, 1000);
  BOOST_CHECK_EQUAL(a.started_ms, 2000);
  BOOST_CHECK_EQUAL(a.finished_ms, 4000);
  BOOST_CHECK(a.error.empty());
  auto& b = history.jobs().at("job-000002");
  BOOST_CHECK(b.state == job_state::failed);
  BOOST_CHECK_EQUAL(b.error, "no such host");
  BOOST_CHECK(b.result.is_null());
  BOOST_CHECK(history.interrupt_active(99).empty());
  BOOST_CHECK_EQUAL(json(a)["state"], "succeeded");
  BOOST_CHECK(!json(a).contains("interrupted"));
}

BOOST_FIXTURE_TEST_CASE(queued_and_running_jobs_become_interrupted, fixture) {
  submitted("job-000007");
  started("job-000007", 2);
  submitted("job-000008");
  submitted("job-000009");
  finished("job-000009", {{"state", "cancelled"}});
  auto ids = history.interrupt_active(123);
  BOOST_CHECK_EQUAL(ids.size(), 2u);
  BOOST_CHECK_EQUAL(ids.at(0), "job-000007");
  BOOST_CHECK_EQUAL(ids.at(1), "job-000008");
  auto& running = history.jobs().at("job-000007");
  BOOST_CHECK(running.state == job_state::failed);
  BOOST_CHECK(running.interrupted);
  BOOST_CHECK_EQUAL(running.finished_ms, 123);
  BOOST_CHECK_MESSAGE(running.error.find("interrupted") == 0
                        && running.error.find("running (attempt 2)") != std::string::npos,
                      running.error);
  BOOST_CHECK(history.jobs().at("job-000008").error.find("queued") != std::string::npos);
  BOOST_CHECK(history.jobs().at("job-000009").state == job_state::cancelled);
  BOOST_CHECK_EQUAL(history.next_number(), 10u);
  BOOST_CHECK_EQUAL(json(running)["interrupted"], true);
}

BOOST_FIXTURE_TEST_CASE(an_interruption_in_the_log_is_replayed, fixture) {
  submitted("job-000001");
  started("job-000001", 1);
  finished("job-000001", {{"state", "failed"}, {"error", "interrupted: ..."},
                          {"interrupted", true}});
  BOOST_CHECK(history.interrupt_active(5).empty());
  BOOST_CHECK(history.jobs().at("job-000001").interrupted);
}

BOOST_FIXTURE_TEST_CASE(late_progress_and_bad_events_change_nothing, fixture) {
  submitted("job-000003");
  finished("job-000003", {{"state", "succeeded"}});
  event("JobProgressed", {{"job", "job-000003"}, {"kind", "extract"}, {"source", "pagila"},
                          {"user", "admin"}, {"state", "running"}, {"done", 1}, {"total", 2}});
  BOOST_CHECK(history.jobs().at("job-000003").state == job_state::succeeded);
  event("JobSubmitted", {{"job", "not-a-job"}});
  event("JobSubmitted", {{"job", 5}});
  // A finish event that does not follow its schema is skipped like any
  // malformed event (an active job it named is still ended at the next
  // start, by interrupt_active).
  event("JobFinished", {{"job", "job-000003"}, {"state", 7}, {"interrupted", "yes"},
                        {"done", "x"}});
  BOOST_CHECK(history.jobs().at("job-000003").state == job_state::succeeded);
  BOOST_CHECK(!history.jobs().at("job-000003").interrupted);
  event("EntityRegistered", {{"job", "job-000099"}});
  event_record junk;
  junk.type = event_tag("JobFinished");
  junk.payload = "[not json";
  history.apply(junk);
  BOOST_CHECK_EQUAL(history.jobs().size(), 1u);
  BOOST_CHECK_EQUAL(history.next_number(), 4u);
}
