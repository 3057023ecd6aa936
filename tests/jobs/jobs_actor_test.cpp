// The job pool on CAF's test coordinator: submissions, states, limits,
// cancellation, progress and outcomes, retries of crashed workers after
// their backoff, and the job list rebuilt from the log at start.
//
// Everything runs on the test's thread: the log is an in-memory stand-in on
// the coordinator, and workers are stand-ins too (the pool's worker_spawner
// seam), since real workers are blocking actors with threads of their own.
// A stand-in reports what the test tells it to and then ends, as a worker
// does; a crash is an exit the test sends it. Backoffs are timers on the
// coordinator's clock, moved by advance_time().
#define BOOST_TEST_MODULE jobs_actor
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "actors/jobs/jobs_behavior.hpp"
#include "messages/error.hpp"
#include "messages/event_types.hpp"
#include "runtime/supervisor.hpp"
#include "tests/runtime/test_coordinator.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

using namespace almanac;
using namespace almanac::jobs;
using namespace std::chrono_literals;
using nlohmann::json;

namespace almanac {

/// A job state in a failed check.
std::ostream& operator<<(std::ostream& os, job_state s) {
  return os << to_string(s);
}

} // namespace almanac

namespace {

/// What the in-memory log holds; the test reads and seeds it.
struct memory_log {
  std::vector<event_record> records;
  bool refuse_appends = false;

  /// The payloads of the records of `type` ("JobFinished"), in log order.
  std::vector<json> payloads(const std::string& type) const {
    std::vector<json> out;
    for (auto& r : records)
      if (r.type == event_tag(type))
        out.push_back(json::parse(r.payload));
    return out;
  }

  void add(const std::string& type, const json& payload) {
    event_record r;
    r.offset = records.size();
    r.epoch = 1;
    r.timestamp_ms = 1000 + static_cast<int64_t>(r.offset);
    r.type = event_tag(type);
    r.key = "job:" + payload.value("job", "");
    r.payload = payload.dump();
    records.push_back(std::move(r));
  }
};

/// The event log's interface over a memory_log: appends, reads and the end;
/// the rest is not used by the pool.
event_log_actor::behavior_type fake_log(event_log_actor::pointer self,
                                        std::shared_ptr<memory_log> mem) {
  return {
    [mem](atom::append, std::vector<event_input>& evs) -> caf::result<append_ack> {
      if (mem->refuse_appends)
        return make_error(ec::io_error, "refused by the test");
      append_ack ack{mem->records.size(), evs.size(), 0};
      for (auto& e : evs) {
        event_record r;
        r.offset = mem->records.size();
        r.epoch = 1;
        r.timestamp_ms = 1000 + static_cast<int64_t>(r.offset);
        r.type = e.type;
        r.key = e.key;
        r.payload = e.payload;
        mem->records.push_back(std::move(r));
      }
      ack.end_offset = mem->records.size();
      return ack;
    },
    [mem](atom::read, uint64_t from, uint64_t max) {
      std::vector<event_record> out;
      for (auto i = from; i < mem->records.size() && out.size() < max; ++i)
        out.push_back(mem->records[i]);
      return out;
    },
    [](atom::read, uint64_t, uint64_t, uint64_t) -> caf::result<std::vector<event_record>> {
      return make_error(ec::unspecified, "not in the fake log");
    },
    [](atom::deadline, uint64_t) {},
    [mem](caf::get_atom, atom::end) -> uint64_t { return mem->records.size(); },
    [](caf::get_atom, atom::status) -> std::string { return "{}"; },
    [](caf::subscribe_atom, uint64_t, uint64_t, log_subscriber_actor) {},
    [](atom::credit, uint64_t) {},
    [](atom::appended, uint64_t, append_ack&) {},
    [](atom::appended, uint64_t, caf::error&) {},
    [](atom::committed, uint64_t) {},
  };
}

/// A worker's stand-in: forwards the reports the test sends it to the pool,
/// and ends after the last one (as a worker ends after reporting).
caf::behavior stand_in(caf::event_based_actor* self, const jobs_actor* pool) {
  return {
    [=](atom::progress, const std::string& id, uint64_t done, uint64_t total) {
      self->send(*pool, atom::progress::value, id, done, total);
    },
    [=](atom::finished, const std::string& id, job_result& result) {
      self->send(*pool, atom::finished::value, id, std::move(result));
      self->quit();
    },
    [=](atom::finished, const std::string& id, const caf::error& err) {
      self->send(*pool, atom::finished::value, id, err);
      self->quit();
    },
  };
}

/// One worker the pool started.
struct started_worker {
  std::string id;
  caf::actor worker;
};

struct fixture : test::test_coordinator_fixture {
  runtime::actor_registry registry;
  std::shared_ptr<runtime::actor_metrics> metrics
    = std::make_shared<runtime::actor_metrics>();
  std::shared_ptr<memory_log> mem = std::make_shared<memory_log>();
  event_log_actor log;
  jobs_actor pool;
  std::vector<started_worker> started; ///< In start order.

  fixture() {
    spdlog::set_level(spdlog::level::off);
    log = sys.spawn(fake_log, mem);
    registry.started("eventlog", caf::actor_cast<caf::strong_actor_ptr>(log));
  }

  ~fixture() {
    for (auto& w : started)
      caf::anon_send_exit(w.worker, caf::exit_reason::user_shutdown);
    if (pool)
      caf::anon_send_exit(pool, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(log, caf::exit_reason::user_shutdown);
    run();
  }

  /// Spawns the pool (its recovery runs with the next run()).
  void spawn_pool(uint64_t max_concurrent = 4, uint64_t max_per_source = 2,
                  uint64_t max_attempts = 3) {
    jobs_config cfg;
    cfg.kinds["extract"] = [](job_env&) -> caf::expected<json> {
      return make_error(ec::unspecified, "stand-ins run no job");
    };
    cfg.max_concurrent = max_concurrent;
    cfg.max_per_source = max_per_source;
    cfg.max_attempts = max_attempts;
    worker_spawner spawner = [this](const std::string& id,
                                    std::function<void(caf::blocking_actor*)>) {
      auto w = sys.spawn(stand_in, &pool);
      started.push_back({id, w});
      return w;
    };
    pool = sys.spawn(jobs_impl, cfg, metrics, &registry, spawner);
  }

  caf::expected<std::string> submit(const std::string& source,
                                    json options = json::object()) {
    auto reply = ask<job_submitted>(pool, atom::submit::value, std::string{"extract"},
                                    source, json_body{std::move(options)},
                                    std::string{"admin"});
    if (!reply)
      return reply.error();
    return reply->job;
  }

  job_view get(const std::string& id) {
    auto reply = ask<job_view>(pool, caf::get_atom::value, id);
    BOOST_REQUIRE_MESSAGE(reply, "get " << id << ": " << render(reply.error()));
    return *reply;
  }

  /// The stand-in of the latest attempt of `id`.
  caf::actor worker_of(const std::string& id) {
    for (auto i = started.rbegin(); i != started.rend(); ++i)
      if (i->id == id)
        return i->worker;
    BOOST_FAIL("no worker was started for " + id);
    return {};
  }

  size_t starts_of(const std::string& id) const {
    return std::count_if(started.begin(), started.end(),
                         [&](const started_worker& w) { return w.id == id; });
  }

  void crash(const std::string& id) {
    runtime::send_fault(caf::actor_cast<caf::strong_actor_ptr>(worker_of(id)),
                        make_error(ec::fault_injected, "test crash"));
    run();
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(jobs_actor_suite, fixture)

BOOST_AUTO_TEST_CASE(a_submission_is_durable_before_it_is_answered_and_starts_a_worker) {
  spawn_pool();
  auto id = submit("pagila", {{"tables", {"public.film"}}});
  BOOST_REQUIRE_MESSAGE(id, render(id.error()));
  BOOST_CHECK_EQUAL(*id, "job-000001");
  // The log has its submission, then the start of attempt 1.
  auto submitted = mem->payloads("JobSubmitted");
  BOOST_REQUIRE_EQUAL(submitted.size(), 1u);
  BOOST_CHECK_EQUAL(submitted[0]["job"], "job-000001");
  BOOST_CHECK_EQUAL(submitted[0]["source"], "pagila");
  BOOST_CHECK_EQUAL(submitted[0]["options"]["tables"][0], "public.film");
  auto progressed = mem->payloads("JobProgressed");
  BOOST_REQUIRE_EQUAL(progressed.size(), 1u);
  BOOST_CHECK_EQUAL(progressed[0]["attempt"], 1);
  BOOST_CHECK_EQUAL(mem->records[0].type, event_tag("JobSubmitted"));
  // It runs on a worker of its own.
  BOOST_CHECK_EQUAL(starts_of("job-000001"), 1u);
  auto j = get("job-000001");
  BOOST_CHECK_EQUAL(j.state, job_state::running);
  BOOST_CHECK_EQUAL(j.attempts, 1u);
  BOOST_CHECK_EQUAL(j.kind, "extract");
  BOOST_CHECK_EQUAL(j.user, "admin");
  BOOST_CHECK_EQUAL(j.options["tables"][0], "public.film");
  BOOST_CHECK(j.started_ms != 0);
  // Ids count up.
  BOOST_CHECK_EQUAL(*submit("other"), "job-000002");
}

BOOST_AUTO_TEST_CASE(bad_submissions_are_refused_and_queue_nothing) {
  spawn_pool();
  auto unknown = ask<job_submitted>(pool, atom::submit::value, std::string{"mine"},
                                    std::string{"pagila"}, json_body{},
                                    std::string{"admin"});
  BOOST_REQUIRE(!unknown);
  BOOST_CHECK(has_code(unknown.error(), ec::invalid_argument));
  BOOST_CHECK(mem->records.empty());
  // The log refuses the submission: unavailable, and no job.
  mem->refuse_appends = true;
  auto refused = submit("pagila");
  BOOST_REQUIRE(!refused);
  BOOST_CHECK(has_code(refused.error(), ec::unavailable));
  BOOST_CHECK(message_of(refused.error()).find("could not be recorded") != std::string::npos);
  BOOST_CHECK(started.empty());
  auto missing = ask<job_view>(pool, caf::get_atom::value, std::string{"job-000001"});
  BOOST_REQUIRE(!missing);
  BOOST_CHECK(has_code(missing.error(), ec::not_found));
}

BOOST_AUTO_TEST_CASE(jobs_beyond_the_limits_wait_queued_and_start_when_one_ends) {
  spawn_pool(/*max_concurrent=*/4, /*max_per_source=*/1);
  auto a = *submit("pagila");
  auto b = *submit("pagila");
  auto c = *submit("other");
  BOOST_CHECK_EQUAL(get(a).state, job_state::running);
  BOOST_CHECK_EQUAL(get(b).state, job_state::queued); // one per source
  BOOST_CHECK_EQUAL(get(c).state, job_state::running); // another source
  BOOST_CHECK_EQUAL(starts_of(b), 0u);
  caf::anon_send(worker_of(a), atom::finished::value, a, job_result{json::object()});
  run();
  BOOST_CHECK_EQUAL(get(a).state, job_state::succeeded);
  BOOST_CHECK_EQUAL(get(b).state, job_state::running);
  BOOST_CHECK_EQUAL(starts_of(b), 1u);
  // The list: newest first.
  auto list = ask<std::vector<job_view>>(pool, caf::get_atom::value, atom::jobs::value);
  BOOST_REQUIRE(list);
  BOOST_REQUIRE_EQUAL(list->size(), 3u);
  BOOST_CHECK_EQUAL((*list)[0].id, c);
  BOOST_CHECK_EQUAL((*list)[2].id, a);
}

BOOST_AUTO_TEST_CASE(cancelling_a_queued_job_ends_it_at_once) {
  spawn_pool(/*max_concurrent=*/1);
  auto a = *submit("pagila");
  auto b = *submit("pagila");
  BOOST_CHECK_EQUAL(get(b).state, job_state::queued);
  auto reply = ask<job_view>(pool, atom::cancel::value, b);
  BOOST_REQUIRE(reply);
  BOOST_CHECK_EQUAL(reply->state, job_state::cancelled);
  BOOST_CHECK_EQUAL(get(b).state, job_state::cancelled);
  auto finished = mem->payloads("JobFinished");
  BOOST_REQUIRE_EQUAL(finished.size(), 1u);
  BOOST_CHECK_EQUAL(finished[0]["job"], b);
  BOOST_CHECK_EQUAL(finished[0]["state"], "cancelled");
  // It never starts, even once the slot is free.
  caf::anon_send(worker_of(a), atom::finished::value, a, job_result{json::object()});
  run();
  BOOST_CHECK_EQUAL(starts_of(b), 0u);
  BOOST_CHECK_EQUAL(get(b).state, job_state::cancelled);
}

BOOST_AUTO_TEST_CASE(a_cancelled_running_job_ends_cancelled_when_its_worker_stops) {
  spawn_pool();
  auto a = *submit("pagila");
  auto reply = ask<job_view>(pool, atom::cancel::value, a);
  BOOST_REQUIRE(reply);
  // Still running: the worker reports when it has stopped.
  BOOST_CHECK_EQUAL(reply->state, job_state::running);
  // Whatever it reports then, even a retryable error, the job is cancelled.
  caf::anon_send(worker_of(a), atom::finished::value, a,
                 make_error(ec::unavailable, "connection closed"));
  run();
  BOOST_CHECK_EQUAL(get(a).state, job_state::cancelled);
  advance_time(10s);
  BOOST_CHECK_EQUAL(starts_of(a), 1u); // not retried
  BOOST_CHECK_EQUAL(mem->payloads("JobFinished").at(0)["state"], "cancelled");
  auto unknown = ask<job_view>(pool, atom::cancel::value, std::string{"job-000099"});
  BOOST_REQUIRE(!unknown);
  BOOST_CHECK(has_code(unknown.error(), ec::not_found));
}

BOOST_AUTO_TEST_CASE(progress_and_the_result_update_the_job) {
  spawn_pool();
  auto a = *submit("pagila");
  caf::anon_send(worker_of(a), atom::progress::value, a, uint64_t{3}, uint64_t{10});
  run();
  auto j = get(a);
  BOOST_CHECK_EQUAL(j.done, 3u);
  BOOST_CHECK_EQUAL(j.total, 10u);
  // The first report is an event (later ones at most once a second).
  auto progressed = mem->payloads("JobProgressed");
  BOOST_REQUIRE_EQUAL(progressed.size(), 2u); // the start, the report
  BOOST_CHECK_EQUAL(progressed[1]["done"], 3);
  BOOST_CHECK_EQUAL(progressed[1]["total"], 10);
  caf::anon_send(worker_of(a), atom::finished::value, a,
                 job_result{json{{"tables", 5}}});
  run(); // the worker reports, then ends: its down message is no crash
  j = get(a);
  BOOST_CHECK_EQUAL(j.state, job_state::succeeded);
  BOOST_CHECK_EQUAL(j.result["tables"], 5);
  BOOST_CHECK(j.error.empty());
  BOOST_CHECK(j.finished_ms != 0);
  auto finished = mem->payloads("JobFinished");
  BOOST_REQUIRE_EQUAL(finished.size(), 1u);
  BOOST_CHECK_EQUAL(finished[0]["state"], "succeeded");
  BOOST_CHECK_EQUAL(finished[0]["result"]["tables"], 5);
  BOOST_CHECK_EQUAL(finished[0]["done"], 3);
  advance_time(10s);
  BOOST_CHECK_EQUAL(starts_of(a), 1u);
}

BOOST_AUTO_TEST_CASE(a_failure_that_is_not_transient_fails_the_job_at_once) {
  spawn_pool();
  auto a = *submit("pagila");
  caf::anon_send(worker_of(a), atom::finished::value, a,
                 make_error(ec::invalid_argument, "no such table"));
  run();
  auto j = get(a);
  BOOST_CHECK_EQUAL(j.state, job_state::failed);
  BOOST_CHECK_EQUAL(j.error, "invalid_argument: no such table");
  advance_time(10s);
  BOOST_CHECK_EQUAL(starts_of(a), 1u);
}

BOOST_AUTO_TEST_CASE(a_crashed_worker_is_retried_after_an_exponential_backoff) {
  spawn_pool(4, 2, /*max_attempts=*/3);
  auto a = *submit("pagila");
  crash(a);
  auto j = get(a);
  BOOST_CHECK_EQUAL(j.state, job_state::queued);
  BOOST_CHECK_EQUAL(j.attempts, 1u);
  BOOST_CHECK(j.error.find("worker crashed: fault_injected: test crash")
              != std::string::npos);
  // 200 ms after the first crash, not before.
  advance_time(199ms);
  BOOST_CHECK_EQUAL(starts_of(a), 1u);
  advance_time(1ms);
  BOOST_CHECK_EQUAL(starts_of(a), 2u);
  BOOST_CHECK_EQUAL(get(a).state, job_state::running);
  BOOST_CHECK_EQUAL(get(a).attempts, 2u);
  // 400 ms after the second.
  crash(a);
  advance_time(399ms);
  BOOST_CHECK_EQUAL(starts_of(a), 2u);
  advance_time(1ms);
  BOOST_CHECK_EQUAL(starts_of(a), 3u);
  // The third crash is the last attempt: the job fails.
  crash(a);
  j = get(a);
  BOOST_CHECK_EQUAL(j.state, job_state::failed);
  BOOST_CHECK(j.error.find("(after 3 attempts)") != std::string::npos);
  advance_time(10s);
  BOOST_CHECK_EQUAL(starts_of(a), 3u);
  auto finished = mem->payloads("JobFinished");
  BOOST_REQUIRE_EQUAL(finished.size(), 1u);
  BOOST_CHECK_EQUAL(finished[0]["state"], "failed");
  BOOST_CHECK_EQUAL(finished[0]["attempts"], 3);
  // Each attempt's start is in the log.
  std::vector<int> attempts;
  for (auto& p : mem->payloads("JobProgressed"))
    attempts.push_back(p.value("attempt", 0));
  BOOST_CHECK((attempts == std::vector<int>{1, 2, 3}));
}

BOOST_AUTO_TEST_CASE(a_transient_failure_is_retried_like_a_crash) {
  spawn_pool();
  auto a = *submit("pagila");
  caf::anon_send(worker_of(a), atom::finished::value, a,
                 make_error(ec::unavailable, "the source is down"));
  run();
  BOOST_CHECK_EQUAL(get(a).state, job_state::queued);
  advance_time(200ms);
  BOOST_CHECK_EQUAL(starts_of(a), 2u);
  caf::anon_send(worker_of(a), atom::finished::value, a, job_result{json::object()});
  run();
  BOOST_CHECK_EQUAL(get(a).state, job_state::succeeded);
  BOOST_CHECK_EQUAL(get(a).attempts, 2u);
}

BOOST_AUTO_TEST_CASE(the_job_list_is_rebuilt_from_the_log_at_start) {
  json base{{"kind", "extract"}, {"source", "pagila"}, {"user", "admin"}};
  auto with = [&](json extra) {
    auto p = base;
    p.update(extra);
    return p;
  };
  mem->add("JobSubmitted", with({{"job", "job-000001"}, {"state", "queued"}}));
  mem->add("JobSubmitted", with({{"job", "job-000002"}, {"state", "queued"}}));
  mem->add("JobProgressed", with({{"job", "job-000002"}, {"state", "running"}, {"attempt", 1}}));
  mem->add("JobSubmitted", with({{"job", "job-000007"}, {"state", "queued"}}));
  mem->add("JobFinished", with({{"job", "job-000007"}, {"state", "succeeded"},
                                {"done", 4}, {"total", 4}, {"attempts", 1},
                                {"result", {{"tables", 4}}}}));
  auto before = mem->records.size();
  spawn_pool();
  run();
  // A job that ended stays as it ended.
  auto done = get("job-000007");
  BOOST_CHECK_EQUAL(done.state, job_state::succeeded);
  BOOST_CHECK_EQUAL(done.result["tables"], 4);
  BOOST_CHECK(!done.interrupted);
  // Jobs that were queued or running when the pool stopped failed.
  auto queued = get("job-000001");
  BOOST_CHECK_EQUAL(queued.state, job_state::failed);
  BOOST_CHECK(queued.interrupted);
  BOOST_CHECK(queued.error.find("while the job was queued")
              != std::string::npos);
  auto running = get("job-000002");
  BOOST_CHECK_EQUAL(running.state, job_state::failed);
  BOOST_CHECK(running.error.find("running (attempt 1)")
              != std::string::npos);
  // ... which the log learns, in id order; none of them runs again.
  BOOST_REQUIRE_EQUAL(mem->records.size(), before + 2);
  auto finished = mem->payloads("JobFinished");
  BOOST_REQUIRE_EQUAL(finished.size(), 3u);
  BOOST_CHECK_EQUAL(finished[1]["job"], "job-000001");
  BOOST_CHECK_EQUAL(finished[1]["interrupted"], true);
  BOOST_CHECK_EQUAL(finished[2]["job"], "job-000002");
  BOOST_CHECK(started.empty());
  // Ids continue after the highest ever given.
  BOOST_CHECK_EQUAL(*submit("pagila"), "job-000008");
}

BOOST_AUTO_TEST_CASE(at_start_the_pool_reads_the_log_up_to_its_end_then_records_what_it_interrupted) {
  mem->add("JobSubmitted", {{"job", "job-000004"}, {"kind", "extract"},
                            {"source", "pagila"}, {"user", "admin"}, {"state", "queued"}});
  spawn_pool();
  sched.prioritize(pool);
  sched.run_once(); // the pool starts: it asks the log for its end
  expect<caf::get_atom, atom::end>(pool, log);
  BOOST_CHECK_EQUAL(std::get<0>(expect<uint64_t>(log, pool)), 1u);
  auto [read, from, max] = expect<atom::read, uint64_t, uint64_t>(pool, log);
  BOOST_CHECK_EQUAL(from, 0u);
  BOOST_CHECK_EQUAL(max, 4096u);
  auto [recs] = expect<std::vector<event_record>>(log, pool);
  BOOST_CHECK_EQUAL(recs.size(), 1u);
  // The end is reached: the queued job is interrupted, and the log told.
  auto [append, evs] = expect<atom::append, std::vector<event_input>>(pool, log);
  BOOST_REQUIRE_EQUAL(evs.size(), 1u);
  BOOST_CHECK_EQUAL(evs[0].type, event_tag("JobFinished"));
  BOOST_CHECK_EQUAL(evs[0].key, "job:job-000004");
  BOOST_CHECK_EQUAL(json::parse(evs[0].payload)["interrupted"], true);
  run();
  BOOST_CHECK_EQUAL(get("job-000004").state, job_state::failed);
}

BOOST_AUTO_TEST_CASE(requests_wait_until_the_log_is_read) {
  mem->add("JobSubmitted", {{"job", "job-000003"}, {"kind", "extract"},
                            {"source", "pagila"}, {"user", "admin"}, {"state", "queued"}});
  // No log at start: the pool asks again every 200 ms.
  auto strong = caf::actor_cast<caf::strong_actor_ptr>(log);
  registry.started("eventlog", nullptr);
  spawn_pool();
  auto reply = request<job_view>(pool, caf::get_atom::value, std::string{"job-000003"});
  run();
  BOOST_CHECK(!reply.ready());
  advance_time(200ms);
  BOOST_CHECK(!reply.ready());
  registry.started("eventlog", strong);
  advance_time(200ms);
  BOOST_REQUIRE(reply.ready());
  auto j = reply.take();
  BOOST_REQUIRE(j);
  BOOST_CHECK_EQUAL(j->state, job_state::failed); // interrupted
}

BOOST_AUTO_TEST_SUITE_END()
