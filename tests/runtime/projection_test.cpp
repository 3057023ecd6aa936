// The event log actor and the projection driver with real threads: durable
// appends, subscriptions with credit that continue into new appends,
// unknown types skipped, read-your-writes waits, a projection crashing
// mid-stream resumes exactly where it was (state equals a fresh rebuild),
// and rebuild replays from offset 0.
#define BOOST_TEST_MODULE projection
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "actors/eventlog/event_log.hpp"
#include "actors/eventlog/event_counts.hpp"
#include "messages/actors.hpp"
#include "messages/error.hpp"
#include "runtime/ask.hpp"
#include "runtime/projection_driver.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <filesystem>
#include <map>
#include <thread>

using namespace almanac;
using namespace almanac::runtime;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

struct node_fixture {
  std::string dir;
  actor_registry registry; // outlives the actor system
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::actor root;

  node_fixture() {
    dir = fs::temp_directory_path() / ("almanac-proj-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(fs::path{dir} / "projections");
    sys = std::make_unique<caf::actor_system>(cfg);
    boot({"event_counts"});
  }

  ~node_fixture() {
    shutdown();
    sys.reset();
    fs::remove_all(dir);
  }

  void boot(std::vector<std::string> names,
            std::map<std::string, projection_factory> custom = {}) {
    config::settings s;
    BOOST_REQUIRE(!s.set("data_dir", dir, "test"));
    restart_policy policy;
    policy.backoff_initial = 10ms;
    supervisor_spec projections{"projections", strategy::one_for_one, policy, {}};
    for (auto& n : names) {
      auto pdir = (fs::path{dir} / "projections" / n).string();
      projections.children.push_back(projection_child(
        n, [pdir] { return eventlog::make_event_counts(pdir); }));
    }
    for (auto& [n, factory] : custom) {
      names.push_back(n);
      projections.children.push_back(projection_child(n, factory));
    }
    supervisor_spec storage{"storage", strategy::rest_for_one, policy,
                            {eventlog::event_log_child(s),
                             supervisor_child(projections)}};
    root = spawn_root(*sys, registry, {"root", strategy::one_for_one, policy,
                                      {supervisor_child(storage)}});
    for (auto& n : names)
      BOOST_REQUIRE(eventually([&] { return registry.handle(n) != nullptr; }));
  }

  void shutdown() {
    if (!root)
      return;
    auto done = std::make_shared<std::promise<void>>();
    auto f = done->get_future();
    root->attach_functor([done] { done->set_value(); });
    caf::anon_send_exit(root, caf::exit_reason::user_shutdown);
    f.wait();
    root = nullptr;
  }

  template <class Pred>
  bool eventually(Pred pred, std::chrono::milliseconds limit = 10s) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (pred())
        return true;
      std::this_thread::sleep_for(2ms);
    }
    return pred();
  }

  event_log_actor log() {
    return caf::actor_cast<event_log_actor>(registry.handle("eventlog"));
  }

  projection_actor proj(const std::string& name) {
    return caf::actor_cast<projection_actor>(registry.handle(name));
  }

  append_ack append(std::vector<event_input> events) {
    auto ack = ask<append_ack>(*sys, log(), 5s, atom::append::value,
                               std::move(events));
    if (!ack)
      BOOST_FAIL(render(ack.error()));
    return *ack;
  }

  static event_input ev(const std::string& name, const std::string& key,
                        int n) {
    return {event_tag(name), key, "{\"n\":" + std::to_string(n) + "}"};
  }

  nlohmann::json status(const std::string& name) {
    auto s = ask<std::string>(*sys, proj(name), 5s, caf::get_atom::value,
                              atom::status::value);
    if (!s)
      BOOST_FAIL(render(s.error()));
    return nlohmann::json::parse(*s);
  }

  uint64_t wait_applied(const std::string& name, uint64_t offset) {
    for (int attempt = 0; attempt < 50; ++attempt) {
      auto h = proj(name);
      if (!h) {
        std::this_thread::sleep_for(10ms);
        continue;
      }
      auto cp = ask<uint64_t>(*sys, h, 5s, atom::wait::value, offset,
                              uint64_t{5000});
      if (cp)
        return *cp;
      std::this_thread::sleep_for(10ms); // the driver was restarting
    }
    BOOST_FAIL("projection never applied offset " + std::to_string(offset));
    return 0;
  }
};

// Collects pushed records; grants credit one batch at a time.
struct collector_state {
  std::vector<event_record> seen;
};

log_subscriber_actor::behavior_type
collector(log_subscriber_actor::stateful_pointer<collector_state> self,
          event_log_actor log, uint64_t from, uint64_t credit,
          std::shared_ptr<std::vector<event_record>> out,
          std::shared_ptr<std::mutex> mtx) {
  self->send(log, caf::subscribe_atom::value, from, credit,
             caf::actor_cast<log_subscriber_actor>(self));
  return {
    [=](atom::records, std::vector<event_record>& batch) {
      {
        std::lock_guard<std::mutex> guard{*mtx};
        out->insert(out->end(), batch.begin(), batch.end());
      }
      self->send(log, atom::credit::value, static_cast<uint64_t>(batch.size()));
    },
  };
}

// A projection whose every write costs 20 ms (as a search index's commit
// with its syncs does): counts its writes and keeps the offsets it saw.
struct slow_projection : projection {
  std::shared_ptr<std::atomic<int>> writes;
  std::shared_ptr<std::vector<uint64_t>> seen;
  std::shared_ptr<std::mutex> mtx;
  uint64_t checkpoint = 0;

  std::vector<std::string> consumes() const override { return {"EntityEdited"}; }
  caf::expected<uint64_t> open() override { return checkpoint; }
  caf::error apply(const std::vector<event_record>& events, uint64_t next) override {
    std::this_thread::sleep_for(20ms);
    std::lock_guard<std::mutex> guard{*mtx};
    for (auto& r : events)
      seen->push_back(r.offset);
    checkpoint = next;
    ++*writes;
    return caf::none;
  }
  caf::error reset() override { checkpoint = 0; return caf::none; }
  std::string status() const override { return "{}"; }
  caf::expected<std::string> digest() const override { return std::string{}; }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(projection_suite, node_fixture)

BOOST_AUTO_TEST_CASE(a_slow_store_applies_what_waits_in_one_write) {
  // 200 appends of one record each, faster than the store can write one
  // by one (200 x 20 ms = 4 s): the driver joins what is waiting into one
  // write, so it keeps up, in order, each record once.
  shutdown();
  auto writes = std::make_shared<std::atomic<int>>(0);
  auto seen = std::make_shared<std::vector<uint64_t>>();
  auto mtx = std::make_shared<std::mutex>();
  boot({}, {{"slow", [=] {
               auto p = std::make_unique<slow_projection>();
               p->writes = writes;
               p->seen = seen;
               p->mtx = mtx;
               return p;
             }}});
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 200; ++i)
    append({ev("EntityEdited", "k", i)});
  BOOST_CHECK_EQUAL(wait_applied("slow", 200), 200u);
  auto took = std::chrono::steady_clock::now() - t0;
  BOOST_TEST_MESSAGE("200 appends applied in " << writes->load() << " writes, "
                     << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                     << " ms");
  BOOST_CHECK_LT(writes->load(), 100);
  std::lock_guard<std::mutex> guard{*mtx};
  BOOST_REQUIRE_EQUAL(seen->size(), 200u);
  for (uint64_t i = 0; i < 200; ++i)
    BOOST_CHECK_EQUAL((*seen)[i], i);
}

BOOST_AUTO_TEST_CASE(appends_are_acknowledged_with_dense_offsets) {
  auto a = append({ev("EntityRegistered", "x", 1), ev("EntityEdited", "x", 2)});
  BOOST_CHECK_EQUAL(a.first_offset, 0u);
  BOOST_CHECK_EQUAL(a.count, 2u);
  auto b = append({ev("EntityEdited", "y", 3)});
  BOOST_CHECK_EQUAL(b.first_offset, 2u);
  auto recs = ask<std::vector<event_record>>(*sys, log(), 5s, atom::read::value,
                                             uint64_t{0}, uint64_t{10});
  BOOST_REQUIRE(recs);
  BOOST_REQUIRE_EQUAL(recs->size(), 3u);
  BOOST_CHECK_EQUAL((*recs)[2].key, "y");
  BOOST_CHECK_EQUAL((*recs)[2].payload, "{\"n\":3}");
  auto empty = ask<append_ack>(*sys, log(), 5s, atom::append::value,
                               std::vector<event_input>{});
  BOOST_CHECK(!empty);
}

BOOST_AUTO_TEST_CASE(subscription_continues_into_new_appends_with_credit) {
  for (int i = 0; i < 50; ++i)
    append({ev("EntityEdited", "k" + std::to_string(i % 5), i)});
  auto out = std::make_shared<std::vector<event_record>>();
  auto mtx = std::make_shared<std::mutex>();
  auto c = sys->spawn(collector, log(), uint64_t{10}, uint64_t{3}, out, mtx);
  for (int i = 50; i < 120; ++i)
    append({ev("EntityEdited", "k", i)});
  BOOST_REQUIRE(eventually([&] {
    std::lock_guard<std::mutex> guard{*mtx};
    return out->size() >= 110;
  }));
  std::lock_guard<std::mutex> guard{*mtx};
  BOOST_CHECK_EQUAL(out->size(), 110u);
  for (size_t i = 0; i < out->size(); ++i)
    BOOST_CHECK_EQUAL((*out)[i].offset, 10 + i);
  caf::anon_send_exit(c, caf::exit_reason::user_shutdown);
}

BOOST_AUTO_TEST_CASE(unknown_types_are_kept_and_skipped) {
  append({ev("EntityRegistered", "a", 1),
          {"SomethingFromTheFuture@1", "a", "{}"},
          {"EntityRegistered@99", "a", "{}"}, // newer version of a known type
          ev("EntityEdited", "a", 2)});
  wait_applied("event_counts", 4);
  auto st = status("event_counts");
  BOOST_CHECK_EQUAL(st["checkpoint"], 4);
  BOOST_CHECK_EQUAL(st["events_by_type"]["EntityRegistered"], 1);
  BOOST_CHECK_EQUAL(st["events_by_type"]["EntityEdited"], 1);
  BOOST_CHECK(!st["events_by_type"].contains("SomethingFromTheFuture"));
  auto recs = ask<std::vector<event_record>>(*sys, log(), 5s, atom::read::value,
                                             uint64_t{1}, uint64_t{1});
  BOOST_REQUIRE(recs && recs->size() == 1);
  BOOST_CHECK_EQUAL((*recs)[0].type, "SomethingFromTheFuture@1");
}

BOOST_AUTO_TEST_CASE(wait_times_out_naming_the_lag) {
  append({ev("EntityEdited", "a", 1)});
  auto res = ask<uint64_t>(*sys, proj("event_counts"), 5s, atom::wait::value,
                           uint64_t{1000}, uint64_t{50});
  BOOST_REQUIRE(!res);
  BOOST_CHECK(code_of(res.error()) == ec::unavailable);
  BOOST_CHECK(message_of(res.error()).find("lag") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(lag_and_checkpoint_are_in_the_registry) {
  append({ev("EntityEdited", "a", 1), ev("EntityEdited", "b", 2)});
  wait_applied("event_counts", 2);
  BOOST_REQUIRE(eventually([&] {
    auto i = registry.info("event_counts");
    return i->checkpoint && *i->checkpoint == 2 && i->lag && *i->lag == 0;
  }));
}

BOOST_AUTO_TEST_CASE(crash_mid_stream_resumes_exactly_and_equals_rebuild) {
  shutdown();
  boot({"event_counts", "reference"});
  std::atomic<bool> stop{false};
  std::thread producer{[&] {
    for (int i = 0; i < 400 && !stop; ++i) {
      std::vector<event_input> batch;
      for (int j = 0; j < 5; ++j)
        batch.push_back(ev(j % 2 ? "EntityEdited" : "EntityRegistered",
                           "key" + std::to_string((i * 7 + j) % 37), i * 5 + j));
      append(std::move(batch));
    }
    release_thread();
  }};
  // Crash the projection three times while events stream in.
  for (int crash = 0; crash < 3; ++crash) {
    std::this_thread::sleep_for(30ms);
    BOOST_REQUIRE(eventually([&] { return registry.handle("event_counts") != nullptr; }));
    send_fault(registry.handle("event_counts"), make_error(ec::fault_injected, "test"));
  }
  producer.join();
  wait_applied("event_counts", 2000);
  wait_applied("reference", 2000);
  BOOST_CHECK_GE(registry.info("event_counts")->restarts, 1u);
  auto a = status("event_counts");
  auto b = status("reference");
  BOOST_CHECK_EQUAL(a["checkpoint"], 2000);
  BOOST_CHECK_EQUAL(a.dump(), b.dump());
  // A rebuild from offset 0, while the node keeps serving, gives the same state.
  auto ok = ask<caf::ok_atom>(*sys, proj("event_counts"), 5s, atom::rebuild::value);
  BOOST_REQUIRE(ok);
  append({ev("EntityEdited", "after-rebuild", 1)});
  wait_applied("event_counts", 2001);
  wait_applied("reference", 2001);
  BOOST_CHECK_EQUAL(status("event_counts").dump(), status("reference").dump());
}

BOOST_AUTO_TEST_CASE(a_restarted_node_resumes_from_checkpoints) {
  for (int i = 0; i < 20; ++i)
    append({ev("EntityEdited", "k" + std::to_string(i % 3), i)});
  wait_applied("event_counts", 20);
  auto before = status("event_counts");
  shutdown();
  boot({"event_counts"});
  BOOST_CHECK_EQUAL(status("event_counts").dump(), before.dump());
  auto a = append({ev("EntityEdited", "k0", 99)});
  BOOST_CHECK_EQUAL(a.first_offset, 20u);
  wait_applied("event_counts", 21);
  BOOST_CHECK_EQUAL(status("event_counts")["events_by_type"]["EntityEdited"], 21);
}

BOOST_AUTO_TEST_SUITE_END()
