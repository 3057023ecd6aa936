// Supervisor semantics: restarts, registry, backoff, intensity/escalation,
// rest-for-one, ordered shutdown. The first suite runs on CAF's deterministic
// test coordinator (time advanced by hand); the second with real timing.
#define BOOST_TEST_MODULE supervisor
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "messages/actors.hpp"
#include "messages/error.hpp"
#include "runtime/supervisor.hpp"

#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include <thread>

using namespace almanac;
using namespace almanac::runtime;
using namespace std::chrono_literals;

namespace {

// A trivial worker: echoes integers, records its start in a shared log.
caf::behavior echo(caf::event_based_actor* self,
                   std::shared_ptr<std::vector<std::string>> starts,
                   std::string name) {
  starts->push_back(name);
  return {[](int x) { return x; }};
}

child_spec echo_child(const std::string& name,
                      std::shared_ptr<std::vector<std::string>> starts) {
  return {name, [starts, name](const child_context& ctx) {
            return ctx.system->spawn(echo, starts, name);
          }};
}

restart_policy fast_policy() {
  restart_policy p;
  p.max_restarts = 5;
  p.window = 60s;
  p.backoff_initial = 100ms;
  p.backoff_max = 1000ms;
  p.shutdown_grace = 1000ms;
  return p;
}

struct test_config : caf::actor_system_config {
  test_config() {
    set("scheduler.policy", caf::atom("testing"));
  }
};

struct deterministic {
  test_config cfg;
  caf::actor_system sys{cfg};
  caf::scheduler::test_coordinator& sched
    = dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler());
  actor_registry registry;
  std::shared_ptr<std::vector<std::string>> starts
    = std::make_shared<std::vector<std::string>>();

  caf::actor boot(strategy strat, std::vector<std::string> names) {
    supervisor_spec spec{"root", strat, fast_policy(), {}};
    for (auto& n : names)
      spec.children.push_back(echo_child(n, starts));
    auto root = spawn_root(sys, registry, spec);
    sched.run();
    return root;
  }

  void crash(const std::string& name) {
    auto h = registry.handle(name);
    BOOST_REQUIRE_MESSAGE(h, name + " has no live handle");
    send_fault(h, make_error(ec::fault_injected, "test crash"));
    sched.run();
  }

  actor_info info(const std::string& name) {
    auto i = registry.info(name);
    BOOST_REQUIRE(i);
    return *i;
  }

  ~deterministic() {
    if (auto h = registry.handle("root"))
      caf::anon_send_exit(h, caf::exit_reason::user_shutdown);
    for (int i = 0; i < 100 && (sched.run() > 0 || sched.trigger_timeouts() > 0); ++i)
      ;
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(deterministic_suite, deterministic)

BOOST_AUTO_TEST_CASE(registry_lists_children_with_parent_and_state) {
  boot(strategy::one_for_one, {"a", "b"});
  auto rows = registry.snapshot();
  BOOST_REQUIRE_EQUAL(rows.size(), 3u);
  BOOST_CHECK_EQUAL(rows[0].name, "root");
  BOOST_CHECK_EQUAL(rows[0].parent, "");
  BOOST_CHECK_EQUAL(rows[1].name, "a");
  BOOST_CHECK_EQUAL(rows[1].parent, "root");
  BOOST_CHECK(rows[1].state == actor_state::running);
  BOOST_CHECK_EQUAL(rows[1].restarts, 0u);
}

BOOST_AUTO_TEST_CASE(crashing_three_times_restarts_each_time_with_backoff) {
  boot(strategy::one_for_one, {"a", "b"});
  auto expected_delay = 100ms;
  for (int n = 1; n <= 3; ++n) {
    crash("a");
    auto row = info("a");
    BOOST_CHECK(row.state == actor_state::restarting);
    BOOST_CHECK(row.last_error.find("fault_injected") != std::string::npos);
    // Backoff honoured: not restarted just before the delay elapses.
    sched.clock().advance_time(expected_delay - 1ms);
    sched.run();
    BOOST_CHECK(info("a").state == actor_state::restarting);
    sched.clock().advance_time(1ms);
    sched.run();
    BOOST_CHECK(info("a").state == actor_state::running);
    BOOST_CHECK_EQUAL(info("a").restarts, static_cast<uint64_t>(n));
    expected_delay *= 2; // exponential
  }
  // The sibling was never touched (one-for-one).
  BOOST_CHECK_EQUAL(info("b").restarts, 0u);
  BOOST_CHECK_EQUAL(std::count(starts->begin(), starts->end(), "a"), 4);
}

BOOST_AUTO_TEST_CASE(six_crashes_within_window_escalate_to_the_parent) {
  supervisor_spec inner{"inner", strategy::one_for_one, fast_policy(),
                        {echo_child("w", starts)}};
  supervisor_spec root{"root", strategy::one_for_one, fast_policy(),
                       {supervisor_child(inner)}};
  spawn_root(sys, registry, root);
  sched.run();
  for (int n = 1; n <= 5; ++n) {
    crash("w");
    sched.clock().advance_time(1000ms);
    sched.run();
    BOOST_CHECK_EQUAL(info("w").restarts, static_cast<uint64_t>(n));
  }
  BOOST_CHECK_EQUAL(info("inner").restarts, 0u);
  crash("w"); // sixth crash: inner gives up and escalates
  auto in = info("inner");
  BOOST_CHECK(in.last_error.find("escalated") != std::string::npos);
  sched.clock().advance_time(1000ms);
  sched.run();
  // root restarted the whole subtree
  BOOST_CHECK_EQUAL(info("inner").restarts, 1u);
  BOOST_CHECK(info("inner").state == actor_state::running);
  BOOST_CHECK(info("w").state == actor_state::running);
}

BOOST_AUTO_TEST_CASE(rest_for_one_restarts_later_siblings_only) {
  boot(strategy::rest_for_one, {"a", "b", "c"});
  starts->clear();
  crash("b");
  BOOST_CHECK(info("c").state == actor_state::restarting);
  BOOST_CHECK(info("a").state == actor_state::running);
  sched.clock().advance_time(100ms);
  sched.run();
  BOOST_CHECK((*starts == std::vector<std::string>{"b", "c"}));
  BOOST_CHECK_EQUAL(info("a").restarts, 0u);
  BOOST_CHECK_EQUAL(info("b").restarts, 1u);
  BOOST_CHECK_EQUAL(info("c").restarts, 1u);
  BOOST_CHECK(info("c").state == actor_state::running);
}

BOOST_AUTO_TEST_CASE(restarts_outside_the_window_do_not_escalate) {
  boot(strategy::one_for_one, {"a"});
  for (int n = 1; n <= 8; ++n) {
    crash("a");
    sched.clock().advance_time(20s); // at most 3 crashes per 60 s window
    sched.run();
    BOOST_CHECK(info("a").state == actor_state::running);
  }
  BOOST_CHECK_EQUAL(info("a").restarts, 8u);
}

BOOST_AUTO_TEST_CASE(restart_on_request_restarts_without_delay) {
  auto root = boot(strategy::one_for_one, {"a"});
  auto sup = caf::actor_cast<supervisor_actor>(root);
  caf::anon_send(sup, atom::restart::value, std::string{"a"});
  sched.run();
  BOOST_CHECK(info("a").state == actor_state::running);
  BOOST_CHECK_EQUAL(info("a").restarts, 1u);
  BOOST_CHECK_EQUAL(info("a").last_error, "");
}

BOOST_AUTO_TEST_CASE(shutdown_stops_children_in_reverse_order) {
  auto stops = std::make_shared<std::vector<std::string>>();
  supervisor_spec spec{"root", strategy::one_for_one, fast_policy(), {}};
  for (std::string n : {"first", "second", "third"})
    spec.children.push_back(
      {n, [stops, n](const child_context& ctx) {
         return ctx.system->spawn([stops, n](caf::event_based_actor* self) {
           self->attach_functor([stops, n] { stops->push_back(n); });
           return caf::behavior{[](int x) { return x; }};
         });
       }});
  auto root = spawn_root(sys, registry, spec);
  sched.run();
  caf::anon_send_exit(root, caf::exit_reason::user_shutdown);
  sched.run();
  BOOST_CHECK((*stops == std::vector<std::string>{"third", "second", "first"}));
  BOOST_CHECK(info("first").state == actor_state::stopped);
}

BOOST_AUTO_TEST_CASE(a_child_that_ignores_shutdown_is_killed_after_grace) {
  supervisor_spec spec{"root", strategy::one_for_one, fast_policy(), {}};
  spec.children.push_back({"stubborn", [](const child_context& ctx) {
    return ctx.system->spawn([](caf::event_based_actor* self) {
      self->set_exit_handler([](caf::exit_msg&) {}); // ignores user_shutdown
      return caf::behavior{[](int x) { return x; }};
    });
  }});
  auto root = spawn_root(sys, registry, spec);
  sched.run();
  caf::anon_send_exit(root, caf::exit_reason::user_shutdown);
  sched.run();
  BOOST_CHECK(info("stubborn").state == actor_state::running);
  sched.clock().advance_time(1000ms);
  sched.run();
  BOOST_CHECK(info("stubborn").state == actor_state::stopped);
}

BOOST_AUTO_TEST_SUITE_END()

// -- real timing ---------------------------------------------------------------

namespace {

struct real_time {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  actor_registry registry;
  std::shared_ptr<std::vector<std::string>> starts
    = std::make_shared<std::vector<std::string>>();

  template <class Pred>
  bool eventually(Pred pred, std::chrono::milliseconds limit = 5000ms) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (pred())
        return true;
      std::this_thread::sleep_for(2ms);
    }
    return pred();
  }
};

} // namespace

BOOST_FIXTURE_TEST_CASE(real_timing_restart_and_escalation, real_time) {
  auto policy = fast_policy();
  policy.backoff_initial = 20ms;
  policy.backoff_max = 50ms;
  supervisor_spec inner{"inner", strategy::one_for_one, policy,
                        {echo_child("w", starts)}};
  supervisor_spec root{"root", strategy::one_for_one, policy,
                       {supervisor_child(inner)}};
  auto root_handle = spawn_root(sys, registry, root);
  BOOST_REQUIRE(eventually([&] { return registry.handle("w") != nullptr; }));
  caf::scoped_actor self{sys};
  for (uint64_t n = 1; n <= 6; ++n) {
    auto before = std::chrono::steady_clock::now();
    auto h = registry.handle("w");
    BOOST_REQUIRE(h);
    send_fault(h, make_error(ec::fault_injected, "crash"));
    if (n <= 5) {
      BOOST_REQUIRE(eventually([&] {
        auto i = registry.info("w");
        return i->restarts == n && i->state == actor_state::running;
      }));
      // backoff honoured (lower bound only: timings are noisy)
      BOOST_CHECK(std::chrono::steady_clock::now() - before >= 20ms);
      // The restarted child answers requests.
      auto live = caf::actor_cast<caf::actor>(registry.handle("w"));
      self->request(live, 1s, 42).receive(
        [](int x) { BOOST_CHECK_EQUAL(x, 42); },
        [](caf::error& e) { BOOST_FAIL(render(e)); });
    }
  }
  BOOST_REQUIRE(eventually([&] { return registry.info("inner")->restarts == 1; }));
  BOOST_CHECK(registry.info("inner")->last_error.find("escalated")
              != std::string::npos);
  BOOST_REQUIRE(eventually([&] {
    return registry.info("w")->state == actor_state::running;
  }));
  self->monitor(root_handle);
  self->send_exit(root_handle, caf::exit_reason::user_shutdown);
  self->receive([&](caf::down_msg& dm) {
    BOOST_CHECK(dm.reason == caf::exit_reason::user_shutdown);
  });
  BOOST_CHECK(registry.info("w")->state == actor_state::stopped);
}

BOOST_FIXTURE_TEST_CASE(root_escalation_ends_the_root_with_an_error, real_time) {
  auto policy = fast_policy();
  policy.max_restarts = 1;
  policy.backoff_initial = 1ms;
  supervisor_spec root{"root", strategy::one_for_one, policy,
                       {echo_child("w", starts)}};
  auto root_handle = spawn_root(sys, registry, root);
  caf::scoped_actor self{sys};
  self->monitor(root_handle);
  BOOST_REQUIRE(eventually([&] { return registry.handle("w") != nullptr; }));
  send_fault(registry.handle("w"), make_error(ec::fault_injected));
  BOOST_REQUIRE(eventually([&] { return registry.info("w")->restarts == 1
                                   && registry.handle("w") != nullptr; }));
  send_fault(registry.handle("w"), make_error(ec::fault_injected));
  self->receive([&](caf::down_msg& dm) {
    BOOST_CHECK(code_of(dm.reason) == ec::escalated);
  }, caf::after(5s) >> [] { BOOST_FAIL("root did not fail"); });
}
