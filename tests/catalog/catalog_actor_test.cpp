// The catalog actor on CAF's deterministic test coordinator: its behaviour
// (actors/catalog/catalog_behavior.hpp) against a real catalog projection in
// a temp dir, with the event log and the projection's driver played by
// scripted actors, so that the test decides when (and how) each answers:
// commands that arrive before the state is current wait for it, an append
// is answered only once durable, a refused append leaves nothing behind,
// any other failed append restarts the actor, a log that fails at start
// refuses the waiting commands. The process tests run the real log.
#define BOOST_TEST_MODULE catalog_actor
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "actors/catalog/catalog_behavior.hpp"
#include "messages/error.hpp"
#include "messages/event_types.hpp"
#include "messages/message_types.hpp"
#include "test_helpers.hpp"

#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include <optional>

using namespace almanac;
using namespace almanac::catalog;
using namespace almanac::catalog::test;
using nlohmann::json;

namespace {

/// How the scripted log answers, and what it was sent.
struct log_script {
  uint64_t end = 0;                 ///< What get(end) answers.
  bool hold_end = false;            ///< Keep the get(end) answer back.
  std::optional<caf::error> refuse; ///< Answer appends with this error.
  std::vector<std::vector<event_input>> appends;
  std::vector<caf::response_promise> held_end;
};

caf::behavior scripted_log(caf::event_based_actor* self, std::shared_ptr<log_script> s) {
  return {
    [self, s](caf::get_atom, atom::end) -> caf::result<uint64_t> {
      if (!s->hold_end)
        return s->end;
      s->held_end.push_back(self->make_response_promise());
      return s->held_end.back();
    },
    [s](atom::append, std::vector<event_input>& events) -> caf::result<append_ack> {
      if (s->refuse)
        return *s->refuse;
      s->appends.push_back(events);
      append_ack ack{};
      ack.first_offset = s->end;
      s->end += events.size();
      ack.end_offset = s->end;
      return ack;
    },
    // The test answers the held get(end) requests with `err`.
    [s](atom::cancel, caf::error& err) {
      for (auto& rp : s->held_end)
        rp.deliver(err);
      s->held_end.clear();
    },
  };
}

/// The projection's driver: answers wait() once the test says the state
/// has applied what it waits for (atom::flush).
struct driver_script {
  std::vector<uint64_t> asked; ///< The targets catalogs waited for.
  std::vector<caf::response_promise> held;
};

caf::behavior scripted_driver(caf::event_based_actor* self, std::shared_ptr<driver_script> s) {
  return {
    [self, s](atom::wait, uint64_t target, uint64_t) -> caf::result<uint64_t> {
      s->asked.push_back(target);
      s->held.push_back(self->make_response_promise());
      return s->held.back();
    },
    [s](atom::flush, uint64_t applied) {
      for (auto& rp : s->held)
        rp.deliver(applied);
      s->held.clear();
    },
  };
}

struct test_config : caf::actor_system_config {
  test_config() {
    set("scheduler.policy", caf::atom("testing"));
    almanac::add_message_types(*this);
  }
};

template <class R>
using answer = std::shared_ptr<std::optional<caf::expected<R>>>;

struct fixture : catalog_fixture {
  test_config cfg;
  caf::actor_system sys{cfg};
  caf::scheduler::test_coordinator& sched
    = dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler());
  runtime::actor_registry registry;
  std::shared_ptr<catalog_projection> projected;
  std::shared_ptr<log_script> log = std::make_shared<log_script>();
  std::shared_ptr<driver_script> driver = std::make_shared<driver_script>();
  caf::actor log_actor;
  caf::actor driver_actor;
  catalog_actor cat;
  caf::actor watcher; ///< Monitors `cat` (held: an unreferenced actor ends).
  std::shared_ptr<std::optional<caf::error>> down
    = std::make_shared<std::optional<caf::error>>();

  fixture() {
    projected = std::make_shared<catalog_projection>(dir.path + "/actor-state");
    BOOST_REQUIRE(projected->open());
  }

  ~fixture() {
    caf::anon_send_exit(log_actor, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(driver_actor, caf::exit_reason::user_shutdown);
    if (cat)
      caf::anon_send_exit(cat, caf::exit_reason::user_shutdown);
    if (watcher)
      caf::anon_send_exit(watcher, caf::exit_reason::user_shutdown);
    sched.run();
  }

  void register_as(const std::string& name, const caf::actor& h) {
    registry.declare(name, "root", "worker", nullptr);
    registry.started(name, caf::actor_cast<caf::strong_actor_ptr>(h));
  }

  /// Starts the scripted peers and the catalog (with or without a log),
  /// and watches the catalog for its exit.
  void start(bool with_log = true) {
    log_actor = sys.spawn(scripted_log, log);
    driver_actor = sys.spawn(scripted_driver, driver);
    if (with_log)
      register_as("eventlog", log_actor);
    register_as("catalog_state", driver_actor);
    registry.log_end = log->end;
    cat = sys.spawn(catalog_behavior, projected, registry.metrics("catalog"), &registry);
    auto out = down;
    watcher = sys.spawn([cat = cat, out](caf::event_based_actor* me) {
      me->monitor(cat);
      me->set_down_handler([out, me](caf::down_msg& m) {
        *out = m.reason;
        me->quit();
      });
      return caf::behavior{[](int) {}};
    });
  }

  /// Sends the catalog a request from a client actor; the answer arrives
  /// once the scheduler has run.
  template <class R, class... Ts>
  answer<R> ask(Ts... xs) {
    auto out = std::make_shared<std::optional<caf::expected<R>>>();
    sys.spawn([cat = cat, out, xs...](caf::event_based_actor* me) {
      me->request(cat, caf::infinite, xs...)
        .then([out](R& r) { *out = caf::expected<R>{std::move(r)}; },
              [out](caf::error& e) { *out = caf::expected<R>{std::move(e)}; });
    });
    return out;
  }

  answer<register_reply> register_source_(const std::string& name) {
    return ask<register_reply>(atom::source::value, atom::register_::value,
                               json_body{{{"urn", "urn:almanac:source:" + name},
                                          {"kind", "source"}}},
                               std::string{"admin"});
  }

  answer<register_reply> register_schema(const std::string& urn) {
    return ask<register_reply>(atom::register_::value,
                               json_body{{{"urn", urn}, {"kind", "schema"}}},
                               std::string{"bob"});
  }

  /// Applies what the scripted log took to the projection, as its driver
  /// would.
  void apply_appended() {
    std::vector<event_input> all;
    for (auto& batch : log->appends)
      all.insert(all.end(), batch.begin(), batch.end());
    std::vector<event_record> records;
    uint64_t offset = projected->checkpoint();
    for (size_t i = offset; i < all.size(); ++i)
      records.push_back(event_record{i, 1, int64_t(1000 * (i + 1)), all[i].type, all[i].key,
                                     all[i].payload, 0});
    BOOST_REQUIRE(!projected->apply(records, all.size()));
  }
};

std::string message(const caf::error& err) {
  return render(err);
}

} // namespace

BOOST_FIXTURE_TEST_CASE(a_command_is_answered_once_its_events_are_in_the_log, fixture) {
  start();
  sched.run();
  auto reply = register_source_("pg");
  sched.run();
  BOOST_REQUIRE(*reply);
  BOOST_REQUIRE_MESSAGE(**reply, message((*reply)->error()));
  BOOST_TEST((**reply)->urn == "urn:almanac:source:pg");
  BOOST_TEST((**reply)->version == 1u);
  BOOST_TEST((**reply)->offset == 0u); // the offset of its one event
  BOOST_REQUIRE_EQUAL(log->appends.size(), 1u);
  BOOST_TEST(log->appends[0][0].type == "EntityRegistered@1");
  BOOST_TEST(log->appends[0][0].key == "urn:almanac:source:pg");
  // Validation sees its own acknowledged event before the projection does:
  // the schema's parent exists, registering the source again conflicts.
  auto schema = register_schema("urn:almanac:schema:pg.public");
  auto again = register_source_("pg");
  sched.run();
  BOOST_REQUIRE_MESSAGE(**schema, message((*schema)->error()));
  BOOST_TEST((**schema)->offset == 1u);
  BOOST_REQUIRE(!**again);
  BOOST_TEST((code_of((*again)->error()) == ec::conflict));
  BOOST_TEST(log->appends.size() == 2u);
  BOOST_TEST(!*down);
}

BOOST_FIXTURE_TEST_CASE(commands_wait_until_the_state_has_applied_the_log, fixture) {
  // The log holds the source's registration; the projection has not
  // applied it yet (as after a restart).
  log->appends.push_back({ev::to_event(
    [] {
      ev::entity_registered e;
      e.user = "admin";
      e.urn = "urn:almanac:source:pg";
      e.kind = "source";
      e.name = "pg";
      e.version = 1;
      return e;
    }(),
    "urn:almanac:source:pg")});
  log->end = 1;
  start();
  auto schema = register_schema("urn:almanac:schema:pg.public");
  sched.run();
  BOOST_REQUIRE_EQUAL(driver->asked.size(), 1u);
  BOOST_TEST(driver->asked[0] == 1u); // waits for the log's end at start
  BOOST_TEST(!*schema);               // not answered: it waits too
  BOOST_TEST(log->appends.size() == 1u);
  // Validated now, it would find no parent; once the state is current it
  // succeeds.
  apply_appended();
  caf::anon_send(driver_actor, atom::flush::value, uint64_t{1});
  sched.run();
  BOOST_REQUIRE(*schema);
  BOOST_REQUIRE_MESSAGE(**schema, message((*schema)->error()));
  BOOST_TEST((**schema)->offset == 1u);
  BOOST_TEST(log->appends.size() == 2u);
}

BOOST_FIXTURE_TEST_CASE(a_refused_append_leaves_nothing_behind, fixture) {
  start();
  sched.run();
  log->refuse = make_error(ec::storage_full, "the disk is full");
  auto refused = register_source_("pg");
  sched.run();
  BOOST_REQUIRE(*refused);
  BOOST_REQUIRE(!**refused);
  BOOST_TEST((code_of((*refused)->error()) == ec::storage_full));
  BOOST_TEST(log->appends.empty());
  // The actor stays up; the refused registration is forgotten, so the
  // same command succeeds once the log takes writes again.
  log->refuse.reset();
  auto again = register_source_("pg");
  sched.run();
  BOOST_REQUIRE_MESSAGE(**again, message((*again)->error()));
  BOOST_TEST(log->appends.size() == 1u);
  BOOST_TEST(!*down);
}

BOOST_FIXTURE_TEST_CASE(any_other_failed_append_restarts_the_actor, fixture) {
  start();
  sched.run();
  log->refuse = make_error(ec::unspecified, "the log lost its mind");
  auto failed = register_source_("pg");
  sched.run();
  BOOST_REQUIRE(*failed);
  BOOST_REQUIRE(!**failed);
  BOOST_TEST(message((*failed)->error()).find("the log lost its mind") != std::string::npos);
  // It quits, so that its supervisor restarts it on a current state.
  BOOST_REQUIRE(*down);
  BOOST_TEST((code_of(**down) == ec::unavailable));
}

BOOST_FIXTURE_TEST_CASE(a_log_that_fails_at_start_refuses_the_waiting_commands, fixture) {
  log->hold_end = true;
  start();
  auto first = register_source_("pg");
  auto second = register_schema("urn:almanac:schema:pg.public");
  sched.run();
  BOOST_TEST(!*first); // waiting for the log's answer
  BOOST_TEST(!*second);
  BOOST_REQUIRE_EQUAL(log->held_end.size(), 1u);
  caf::anon_send(log_actor, atom::cancel::value,
                 make_error(ec::io_error, "cannot read the log"));
  sched.run();
  for (auto& a : {first, second}) {
    BOOST_REQUIRE(*a);
    BOOST_REQUIRE(!**a);
    BOOST_TEST((code_of((*a)->error()) == ec::unavailable));
    BOOST_TEST(message((*a)->error()).find("the event log did not answer") != std::string::npos);
  }
  BOOST_TEST(log->appends.empty());
  BOOST_REQUIRE(*down);
}

BOOST_FIXTURE_TEST_CASE(without_a_log_the_actor_does_not_start, fixture) {
  start(false);
  auto reply = register_source_("pg");
  sched.run();
  // Refused (by the actor, or by CAF as it exits): never left hanging.
  BOOST_REQUIRE(*reply);
  BOOST_REQUIRE(!**reply);
  BOOST_REQUIRE(*down);
  BOOST_TEST(message(**down).find("the event log is not running") != std::string::npos);
}
