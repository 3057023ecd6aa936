// runtime::ask_then: answers once, fails at once when the destination goes
// away, and leaves nothing behind (CAF 0.17 keeps a dead monitor's memory
// alive in its destination until it is demonitored).
#define BOOST_TEST_MODULE ask
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "runtime/ask.hpp"

#include <caf/all.hpp>

#include <malloc.h>

#include <atomic>
#include <chrono>
#include <thread>

using namespace std::chrono_literals;

namespace {

caf::behavior echo(caf::event_based_actor*) {
  return {[](int x) { return x; }};
}

// Holds every request until it ends.
caf::behavior holder(caf::event_based_actor* self) {
  return {[self](int) -> caf::result<int> { return self->make_response_promise<int>(); },
          [self](caf::atom_value) { self->quit(); }};
}

bool wait_for(const std::atomic<int>& n, int target) {
  for (int i = 0; i < 2000 && n.load() < target; ++i)
    std::this_thread::sleep_for(5ms);
  return n.load() >= target;
}

size_t heap_in_use() {
  malloc_trim(0);
  return mallinfo2().uordblks;
}

} // namespace

BOOST_AUTO_TEST_CASE(answers_and_leaves_nothing_behind) {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto dest = sys.spawn(echo);
  std::atomic<int> answered{0};
  std::atomic<int> wrong{0};
  auto run = [&](int n) {
    int start = answered.load();
    for (int i = 0; i < n; ++i)
      almanac::runtime::ask_then<int>(
        sys, dest, 5s,
        [&, i](caf::expected<int> r) {
          if (!r || *r != i)
            ++wrong;
          ++answered;
        },
        i);
    return wait_for(answered, start + n);
  };
  BOOST_REQUIRE(run(2000)); // warm up the allocator and CAF's caches
  std::this_thread::sleep_for(100ms);
  auto before = heap_in_use();
  BOOST_REQUIRE(run(20000));
  std::this_thread::sleep_for(200ms); // the askers end after answering
  auto after = heap_in_use();
  BOOST_CHECK_EQUAL(wrong.load(), 0);
  // A leaked asker costs about 1 KB: 20,000 of them would be 20 MB.
  auto growth = after > before ? after - before : 0;
  BOOST_TEST_MESSAGE("heap growth over 20,000 asks: " << growth << " bytes");
  BOOST_CHECK_LT(growth, size_t{4} << 20);
  caf::anon_send_exit(dest, caf::exit_reason::user_shutdown);
  almanac::runtime::release_thread();
}

BOOST_AUTO_TEST_CASE(fails_at_once_when_the_destination_goes_away) {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto dest = sys.spawn(holder);
  std::atomic<int> calls{0};
  std::atomic<bool> down{false};
  almanac::runtime::ask_then<int>(
    sys, dest, 60s,
    [&](caf::expected<int> r) {
      down = !r && r.error() == caf::sec::request_receiver_down;
      ++calls;
    },
    1);
  std::this_thread::sleep_for(50ms);
  BOOST_CHECK_EQUAL(calls.load(), 0); // held
  caf::anon_send(dest, caf::atom("stop"));
  BOOST_REQUIRE(wait_for(calls, 1));
  std::this_thread::sleep_for(50ms);
  BOOST_CHECK_EQUAL(calls.load(), 1); // once, though both the down and the
                                      // broken request report it
  BOOST_CHECK(down.load());
  almanac::runtime::release_thread();
}

BOOST_AUTO_TEST_CASE(times_out) {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto dest = sys.spawn(holder);
  std::atomic<int> calls{0};
  std::atomic<bool> timed_out{false};
  almanac::runtime::ask_then<int>(
    sys, dest, 100ms,
    [&](caf::expected<int> r) {
      timed_out = !r && r.error() == caf::sec::request_timeout;
      ++calls;
    },
    1);
  BOOST_REQUIRE(wait_for(calls, 1));
  BOOST_CHECK(timed_out.load());
  caf::anon_send(dest, caf::atom("stop"));
  almanac::runtime::release_thread();
}
