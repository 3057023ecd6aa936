// The event log actor on CAF's test coordinator: appends and their
// acknowledgements, reads, subscriptions within credit, long polls, errors
// and storage faults, reopening.
//
// The log acknowledges from its own writer thread (group commit). That
// thread must not send to an actor on the test coordinator, so the actor's
// log_handoff seam hands each send to this fixture, which runs them on the
// test's thread one at a time, in the order the log made them, and runs the
// system after each (drive_until). Only waiting for the writer (a real
// fsync) takes real time; what the actors receive, and in what order, is the
// same on every run.
#define BOOST_TEST_MODULE eventlog_actor
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "actors/eventlog/event_log_behavior.hpp"
#include "messages/error.hpp"
#include "tests/runtime/test_coordinator.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <mutex>

using namespace almanac;
using namespace almanac::eventlog;
using namespace std::chrono_literals;

namespace {

/// Sends the log's threads handed over, waiting for the test's thread.
struct handed_sends {
  std::mutex mtx;
  std::condition_variable cv;
  std::deque<std::function<void()>> sends;

  void push(std::function<void()> send) {
    std::lock_guard<std::mutex> guard{mtx};
    sends.push_back(std::move(send));
    cv.notify_all();
  }

  /// The next send, waiting up to `limit` for one; empty if none came.
  std::function<void()> pop(std::chrono::milliseconds limit) {
    std::unique_lock<std::mutex> lock{mtx};
    if (!cv.wait_for(lock, limit, [this] { return !sends.empty(); }))
      return nullptr;
    auto send = std::move(sends.front());
    sends.pop_front();
    return send;
  }
};

/// A subscriber that keeps what it receives and, told to, grants credit.
using test_subscriber
  = log_subscriber_actor::extend<caf::reacts_to<atom::credit, uint64_t>>;

test_subscriber::behavior_type
subscriber(test_subscriber::pointer self, event_log_actor log,
           std::shared_ptr<std::vector<event_record>> got) {
  return {
    [got](atom::records, std::vector<event_record>& recs) {
      got->insert(got->end(), recs.begin(), recs.end());
    },
    [self, log](atom::credit, uint64_t n) {
      self->send(log, atom::credit::value, n);
    },
  };
}

event_input event(const std::string& key, const std::string& payload) {
  return {"TestEvent@1", key, payload};
}

std::vector<uint64_t> offsets(const std::vector<event_record>& recs) {
  std::vector<uint64_t> out;
  for (auto& r : recs)
    out.push_back(r.offset);
  return out;
}

struct fixture : test::test_coordinator_fixture {
  std::string dir;
  runtime::actor_registry registry;
  std::shared_ptr<runtime::actor_metrics> metrics
    = std::make_shared<runtime::actor_metrics>();
  std::shared_ptr<handed_sends> handed = std::make_shared<handed_sends>();
  /// While set, the log's writes fail with EIO (storage::fault_point::write).
  std::shared_ptr<std::atomic<bool>> fail_writes
    = std::make_shared<std::atomic<bool>>(false);
  event_log_actor log;
  std::vector<caf::actor> others; ///< Stopped with the log at the end.

  fixture() {
    spdlog::set_level(spdlog::level::off);
    std::string tmpl = "/tmp/almanac-eventlog-test-XXXXXX";
    dir = ::mkdtemp(tmpl.data());
    log = spawn_log();
  }

  ~fixture() {
    for (auto& a : others)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    if (log)
      caf::anon_send_exit(log, caf::exit_reason::user_shutdown);
    run(); // the log closes (and joins its writer) as it terminates
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }

  event_log_actor spawn_log() {
    storage::log_options opts;
    opts.dir = dir + "/log";
    opts.inject_fault = [flag = fail_writes](storage::fault_point p) {
      return p == storage::fault_point::write && flag->load();
    };
    auto h = sys.spawn(event_log_impl, opts, metrics, &registry,
                       log_handoff{[q = handed](std::function<void()> send) {
                         q->push(std::move(send));
                       }},
                       std::shared_ptr<runtime::ha_state>{});
    run(); // opens the log
    return h;
  }

  /// Runs the system, then the log's handed-over sends one by one (each
  /// followed by a run), until `done()`; fails if the log hands nothing
  /// over for 10 s while `what` is still missing.
  template <class Pred>
  void drive_until(Pred done, const std::string& what) {
    run();
    while (!done()) {
      auto send = handed->pop(10s);
      BOOST_REQUIRE_MESSAGE(send, "the log handed nothing over for 10 s while waiting for "
                                    << what);
      send();
      run();
    }
  }

  /// Appends `events` and returns the log's reply once it came back.
  caf::expected<append_ack> append(std::vector<event_input> events) {
    auto reply = request<append_ack>(log, atom::append::value, std::move(events));
    drive_until([&] { return reply.ready(); }, "the reply to an append");
    return reply.take();
  }

  std::vector<event_record> read(uint64_t from, uint64_t max) {
    auto recs = ask<std::vector<event_record>>(log, atom::read::value, from, max);
    BOOST_REQUIRE_MESSAGE(recs, "read failed: " << render(recs.error()));
    return *recs;
  }

  uint64_t end() {
    auto e = ask<uint64_t>(log, caf::get_atom::value, atom::end::value);
    BOOST_REQUIRE(e);
    return *e;
  }

  nlohmann::json status() {
    auto s = ask<std::string>(log, caf::get_atom::value, atom::status::value);
    BOOST_REQUIRE(s);
    return nlohmann::json::parse(*s);
  }

  /// A subscriber from `from` with `credit`, and what it has received.
  std::pair<test_subscriber, std::shared_ptr<std::vector<event_record>>>
  subscribe(uint64_t from, uint64_t credit) {
    auto got = std::make_shared<std::vector<event_record>>();
    auto sub = sys.spawn(subscriber, log, got);
    others.push_back(caf::actor_cast<caf::actor>(sub));
    log_subscriber_actor sink = sub;
    caf::anon_send(log, caf::subscribe_atom::value, from, credit, sink);
    run();
    return {sub, got};
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(event_log_actor, fixture)

BOOST_AUTO_TEST_CASE(an_append_is_acknowledged_with_its_offsets) {
  auto first = append({event("a", "{}"), event("b", "{}")});
  BOOST_REQUIRE_MESSAGE(first, render(first.error()));
  BOOST_CHECK_EQUAL(first->first_offset, 0u);
  BOOST_CHECK_EQUAL(first->count, 2u);
  BOOST_CHECK_EQUAL(first->end_offset, 2u);
  auto second = append({event("c", "{}"), event("d", "{}"), event("e", "{}")});
  BOOST_REQUIRE(second);
  BOOST_CHECK_EQUAL(second->first_offset, 2u);
  BOOST_CHECK_EQUAL(second->count, 3u);
  BOOST_CHECK_EQUAL(second->end_offset, 5u);
  // `end` and the registry's copy of it follow the appends.
  BOOST_CHECK_EQUAL(end(), 5u);
  BOOST_CHECK_EQUAL(registry.log_end.load(), 5u);
  BOOST_CHECK(registry.storage_faults().empty());
}

BOOST_AUTO_TEST_CASE(a_read_returns_what_was_appended_in_order) {
  BOOST_REQUIRE(append({event("a", R"({"n":0})"), event("b", R"({"n":1})")}));
  BOOST_REQUIRE(append({event("c", R"({"n":2})")}));
  auto all = read(0, 100);
  BOOST_REQUIRE_EQUAL(all.size(), 3u);
  const char* keys[] = {"a", "b", "c"};
  for (uint64_t i = 0; i < 3; ++i) {
    BOOST_CHECK_EQUAL(all[i].offset, i);
    BOOST_CHECK_EQUAL(all[i].type, "TestEvent@1");
    BOOST_CHECK_EQUAL(all[i].key, keys[i]);
    BOOST_CHECK_EQUAL(all[i].payload, R"({"n":)" + std::to_string(i) + "}");
    BOOST_CHECK_EQUAL(all[i].epoch, 1u);
    BOOST_CHECK_GT(all[i].timestamp_ms, 0);
  }
  // Positions grow with the records.
  BOOST_CHECK_LT(all[0].position, all[1].position);
  BOOST_CHECK_LT(all[1].position, all[2].position);
  // A window: from 1, at most 1.
  auto mid = read(1, 1);
  BOOST_REQUIRE_EQUAL(mid.size(), 1u);
  BOOST_CHECK_EQUAL(mid[0].key, "b");
  // At or past the end: nothing, not an error.
  BOOST_CHECK(read(3, 10).empty());
  BOOST_CHECK(read(1000, 10).empty());
  // Without waiting, the long-poll form reads the same.
  auto polled = ask<std::vector<event_record>>(log, atom::read::value, uint64_t{0},
                                               uint64_t{2}, uint64_t{0});
  BOOST_REQUIRE(polled);
  BOOST_CHECK((offsets(*polled) == std::vector<uint64_t>{0, 1}));
}

BOOST_AUTO_TEST_CASE(bad_appends_fail_with_invalid_argument_and_claim_no_offset) {
  auto empty = append({});
  BOOST_REQUIRE(!empty);
  BOOST_CHECK(has_code(empty.error(), ec::invalid_argument));
  BOOST_CHECK_EQUAL(message_of(empty.error()), "nothing to append");
  // A record without a type: the log refuses it before it is queued.
  auto untyped = append({event("a", "{}"), {"", "b", "{}"}});
  BOOST_REQUIRE(!untyped);
  BOOST_CHECK(has_code(untyped.error(), ec::invalid_argument));
  BOOST_CHECK(message_of(untyped.error()).find("event type") != std::string::npos);
  BOOST_CHECK_EQUAL(end(), 0u);
  BOOST_CHECK(registry.storage_faults().empty()); // the caller's fault, not the disk's
  auto ok = append({event("a", "{}")});
  BOOST_REQUIRE(ok);
  BOOST_CHECK_EQUAL(ok->first_offset, 0u);
}

BOOST_AUTO_TEST_CASE(a_failed_write_is_an_io_error_and_a_storage_fault_until_one_succeeds) {
  *fail_writes = true;
  auto failed = append({event("a", "{}")});
  BOOST_REQUIRE(!failed);
  BOOST_CHECK(has_code(failed.error(), ec::io_error));
  auto faults = registry.storage_faults();
  BOOST_REQUIRE_EQUAL(faults.count("eventlog"), 1u);
  BOOST_CHECK_EQUAL(faults["eventlog"], "the event log cannot write");
  BOOST_CHECK_EQUAL(end(), 0u);
  *fail_writes = false;
  auto ok = append({event("b", "{}")});
  BOOST_REQUIRE(ok);
  BOOST_CHECK_EQUAL(ok->first_offset, 0u); // the failed write claimed nothing
  BOOST_CHECK(registry.storage_faults().empty());
  auto recs = read(0, 10);
  BOOST_REQUIRE_EQUAL(recs.size(), 1u);
  BOOST_CHECK_EQUAL(recs[0].key, "b");
}

BOOST_AUTO_TEST_CASE(a_subscriber_receives_pushed_records_only_within_its_credit) {
  auto [sub, got] = subscribe(0, 2);
  BOOST_CHECK(got->empty()); // nothing to push yet
  BOOST_REQUIRE(append({event("a", "{}"), event("b", "{}"), event("c", "{}")}));
  BOOST_CHECK((offsets(*got) == std::vector<uint64_t>{0, 1}));
  // One more credit: the third record follows at once, in one message.
  caf::anon_send(sub, atom::credit::value, uint64_t{1});
  expect<atom::credit, uint64_t>(sub);
  expect<atom::credit, uint64_t>(sub, log);
  auto [records, batch] = expect<atom::records, std::vector<event_record>>(log, sub);
  BOOST_CHECK((offsets(batch) == std::vector<uint64_t>{2}));
  BOOST_CHECK(!sched.has_job()); // and nothing else
  BOOST_CHECK((offsets(*got) == std::vector<uint64_t>{0, 1, 2}));
  // Out of credit: a new record waits.
  BOOST_REQUIRE(append({event("d", "{}")}));
  BOOST_CHECK_EQUAL(got->size(), 3u);
  caf::anon_send(sub, atom::credit::value, uint64_t{5});
  run();
  BOOST_CHECK((offsets(*got) == std::vector<uint64_t>{0, 1, 2, 3}));
  // Four credits left: the next appends are pushed as they commit.
  BOOST_REQUIRE(append({event("e", "{}"), event("f", "{}")}));
  BOOST_CHECK((offsets(*got) == std::vector<uint64_t>{0, 1, 2, 3, 4, 5}));
  BOOST_CHECK_EQUAL((*got)[4].key, "e");
  BOOST_CHECK_EQUAL(status()["subscriptions"], 1);
}

BOOST_AUTO_TEST_CASE(a_subscription_from_an_offset_gets_what_is_there_at_once) {
  BOOST_REQUIRE(append({event("a", "{}"), event("b", "{}"), event("c", "{}")}));
  auto [sub, got] = subscribe(1, 10);
  BOOST_CHECK((offsets(*got) == std::vector<uint64_t>{1, 2}));
}

BOOST_AUTO_TEST_CASE(a_dead_subscriber_is_dropped) {
  auto [sub, got] = subscribe(0, 10);
  BOOST_CHECK_EQUAL(status()["subscriptions"], 1);
  caf::anon_send_exit(sub, caf::exit_reason::user_shutdown);
  run(); // its down message reaches the log
  BOOST_CHECK_EQUAL(status()["subscriptions"], 0);
  // Appends go on without it.
  BOOST_REQUIRE(append({event("a", "{}")}));
  BOOST_CHECK(got->empty());
}

BOOST_AUTO_TEST_CASE(a_long_poll_is_answered_by_the_next_append) {
  BOOST_REQUIRE(append({event("a", "{}")}));
  auto poll = request<std::vector<event_record>>(log, atom::read::value, uint64_t{1},
                                                 uint64_t{10}, uint64_t{5000});
  run();
  BOOST_CHECK(!poll.ready()); // nothing at offset 1 yet: it waits
  BOOST_REQUIRE(append({event("b", "{}")}));
  auto recs = poll.take(); // answered when the append committed
  BOOST_REQUIRE(recs);
  BOOST_CHECK((offsets(*recs) == std::vector<uint64_t>{1}));
}

BOOST_AUTO_TEST_CASE(a_long_poll_ends_empty_at_its_deadline) {
  auto poll = request<std::vector<event_record>>(log, atom::read::value, uint64_t{0},
                                                 uint64_t{10}, uint64_t{500});
  run();
  advance_time(499ms);
  BOOST_CHECK(!poll.ready());
  advance_time(1ms);
  auto recs = poll.take();
  BOOST_REQUIRE(recs);
  BOOST_CHECK(recs->empty());
}

BOOST_AUTO_TEST_CASE(status_reports_offsets_segments_and_writer_counters) {
  BOOST_REQUIRE(append({event("a", "{}"), event("b", "{}")}));
  BOOST_REQUIRE(append({event("c", "{}")}));
  auto st = status();
  BOOST_CHECK_EQUAL(st["dir"], dir + "/log");
  BOOST_CHECK_EQUAL(st["start_offset"], 0);
  BOOST_CHECK_EQUAL(st["end_offset"], 3);
  BOOST_CHECK_EQUAL(st["fsync"], "always");
  BOOST_REQUIRE_EQUAL(st["segments"].size(), 1u);
  BOOST_CHECK_EQUAL(st["segments"][0]["records"], 3);
  BOOST_CHECK_EQUAL(st["writer"]["requests"], 2); // one per acknowledged append
  BOOST_CHECK_EQUAL(st["writer"]["records"], 3);
  BOOST_CHECK_GT(metrics->processed.load(), 0u);
}

BOOST_AUTO_TEST_CASE(a_log_started_again_reads_what_its_predecessor_appended) {
  BOOST_REQUIRE(append({event("a", "{}"), event("b", "{}")}));
  caf::anon_send_exit(log, caf::exit_reason::user_shutdown);
  run(); // closes the log and releases its directory
  log = spawn_log();
  BOOST_CHECK_EQUAL(end(), 2u);
  BOOST_CHECK_EQUAL(registry.log_end.load(), 2u);
  auto recs = read(0, 10);
  BOOST_REQUIRE_EQUAL(recs.size(), 2u);
  BOOST_CHECK_EQUAL(recs[1].key, "b");
  auto next = append({event("c", "{}")});
  BOOST_REQUIRE(next);
  BOOST_CHECK_EQUAL(next->first_offset, 2u);
}

BOOST_AUTO_TEST_SUITE_END()
