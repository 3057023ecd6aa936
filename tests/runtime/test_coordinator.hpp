#pragma once

// Deterministic actor tests under Boost.Test: an actor system on CAF's test
// coordinator, which runs every message on the test's thread in an order the
// test controls, with a clock that moves only when the test advances it.
//
// Why not caf/test/dsl.hpp's test_coordinator_fixture and expect(): they
// report through CAF's own unit-test engine, which does not run under
// Boost.Test. engine::current_test() stays null, so the first CAF_CHECK an
// expect() makes dereferences it and the test dies with a memory access
// violation (tried here with CAF 0.17.6). This fixture keeps their names
// (sys, sched, run, advance_time, expect) and reports through Boost.
//
// Only the test's thread may touch the coordinator. Blocking actors and
// threads of one's own (a log's writer) must not send to actors on it: give
// the actor under test a seam that hands such sends to the test thread.

#include "messages/message_types.hpp"

#include <boost/test/unit_test.hpp>
#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace almanac::test {

/// An actor system config for the test coordinator, with Almanac's message
/// types (so that failures can print messages).
struct test_coordinator_config : caf::actor_system_config {
  test_coordinator_config() {
    set("scheduler.policy", caf::atom("testing"));
    set("logger.file-verbosity", caf::atom("quiet"));
    almanac::add_message_types(*this);
  }
};

/// A reply that may have arrived: filled by a one-shot actor on the
/// coordinator (so that replies need no scoped actor's mailbox).
template <class T>
struct pending_reply {
  std::shared_ptr<std::optional<caf::expected<T>>> slot
    = std::make_shared<std::optional<caf::expected<T>>>();

  /// Whether the reply (or an error) has arrived.
  bool ready() const {
    return slot->has_value();
  }

  /// The reply, which must have arrived.
  caf::expected<T> take() const {
    BOOST_REQUIRE_MESSAGE(ready(), "no reply has arrived");
    return **slot;
  }
};

/// An actor system on the test coordinator.
struct test_coordinator_fixture {
  test_coordinator_config cfg;
  caf::actor_system sys{cfg};
  caf::scheduler::test_coordinator& sched
    = dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler());

  /// Stops the one-shot requesters still waiting (the actor system waits
  /// for every actor as it ends, and nothing would run them any more).
  ~test_coordinator_fixture() {
    for (auto& a : requesters_)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    run();
  }

  /// Runs every message now in a mailbox, and every message that causes.
  size_t run() {
    return sched.run();
  }

  /// Moves the clock by `d`, then runs what the timeouts due by then sent.
  size_t advance_time(caf::timespan d) {
    auto n = sched.clock().advance_time(d);
    run();
    return n;
  }

  /// Sends a request (without a timeout) from a new one-shot actor to
  /// `dest`; its reply fills the result. Nothing runs until run().
  template <class T, class Handle, class... Ts>
  pending_reply<T> request(const Handle& dest, Ts... xs) {
    pending_reply<T> reply;
    requesters_.push_back(sys.spawn([dest, reply, xs...](caf::event_based_actor* me) {
      me->request(dest, caf::infinite, xs...)
        .then([reply](T& x) { *reply.slot = std::move(x); },
              [reply](caf::error& err) { *reply.slot = std::move(err); });
    }));
    return reply;
  }

  /// request(), run(), and the reply; fails the test if there is none yet.
  template <class T, class Handle, class... Ts>
  caf::expected<T> ask(const Handle& dest, Ts... xs) {
    auto reply = request<T>(dest, std::move(xs)...);
    run();
    return reply.take();
  }

  /// Checks that the next message `dest` runs is a `(Ts...)`, runs it and
  /// returns its content.
  template <class... Ts, class Dest>
  std::tuple<Ts...> expect(const Dest& dest) {
    return expect_impl<Ts...>(nullptr, dest);
  }

  /// Checks that the next message `dest` runs is a `(Ts...)` from `from`,
  /// runs it and returns its content.
  template <class... Ts, class From, class Dest>
  std::tuple<Ts...> expect(const From& from, const Dest& dest) {
    return expect_impl<Ts...>(caf::actor_cast<caf::strong_actor_ptr>(from), dest);
  }

private:
  std::vector<caf::actor> requesters_;

  template <class... Ts, class Dest>
  std::tuple<Ts...> expect_impl(const caf::strong_actor_ptr& from, const Dest& dest) {
    auto* ptr = dynamic_cast<caf::scheduled_actor*>(caf::actor_cast<caf::abstract_actor*>(dest));
    BOOST_REQUIRE_MESSAGE(ptr != nullptr, "expect: no such actor on the coordinator");
    BOOST_REQUIRE_MESSAGE(sched.prioritize(dest),
                          "expect: " << ptr->name() << " has no message to run");
    auto* next = ptr->peek_at_next_mailbox_element();
    BOOST_REQUIRE_MESSAGE(next != nullptr, "expect: " << ptr->name() << " has no message");
    auto& content = next->content();
    BOOST_REQUIRE_MESSAGE(content.match_elements<Ts...>(),
                          "expect: the next message of " << ptr->name() << " is "
                                                         << caf::to_string(content));
    if (from)
      BOOST_REQUIRE_MESSAGE(next->sender == from,
                            "expect: the next message of " << ptr->name()
                                                           << " is from someone else");
    auto result = unpack<Ts...>(content, std::index_sequence_for<Ts...>{});
    sched.run_once();
    return result;
  }

  template <class... Ts, size_t... Is>
  static std::tuple<Ts...> unpack(const caf::type_erased_tuple& msg,
                                  std::index_sequence<Is...>) {
    return std::tuple<Ts...>{msg.get_as<Ts>(Is)...};
  }
};

} // namespace almanac::test
