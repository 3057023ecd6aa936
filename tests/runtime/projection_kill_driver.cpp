// Drives the storage subtree (event log + event_counts projection) of a node
// for the SIGKILL exactly-once test.
//   projection_kill_driver produce DIR   append batches forever, printing acks
//   projection_kill_driver verify DIR    catch up, then compare event_counts
//                                        with a fresh rebuild from offset 0
#include "actors/eventlog/event_log.hpp"
#include "actors/eventlog/event_counts.hpp"
#include "messages/actors.hpp"
#include "messages/error.hpp"
#include "runtime/ask.hpp"
#include "runtime/projection_driver.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <iostream>
#include <random>
#include <thread>

using namespace almanac;
using namespace almanac::runtime;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

caf::actor boot(caf::actor_system& sys, actor_registry& registry,
                const std::string& dir, std::vector<std::string> names) {
  config::settings s;
  s.set("data_dir", dir, "driver");
  supervisor_spec projections{"projections", strategy::one_for_one, {}, {}};
  for (auto& n : names) {
    auto pdir = (fs::path{dir} / "projections" / n).string();
    projections.children.push_back(projection_child(
      n, [pdir] { return eventlog::make_event_counts(pdir); }));
  }
  supervisor_spec storage{"storage", strategy::rest_for_one, {},
                          {eventlog::event_log_child(s),
                           supervisor_child(projections)}};
  return spawn_root(sys, registry, {"root", strategy::one_for_one, {},
                                    {supervisor_child(storage)}});
}

template <class T>
T handle_of(actor_registry& registry, const std::string& name) {
  for (int i = 0; i < 1000; ++i) {
    if (auto h = registry.handle(name))
      return caf::actor_cast<T>(h);
    std::this_thread::sleep_for(5ms);
  }
  std::cerr << name << " never started\n";
  std::exit(2);
}

std::string status_of(caf::actor_system& sys, actor_registry& registry,
                      const std::string& name, uint64_t end) {
  auto p = handle_of<projection_actor>(registry, name);
  auto cp = ask<uint64_t>(sys, p, 60s, atom::wait::value, end, uint64_t{50000});
  if (!cp) {
    std::cerr << name << ": " << render(cp.error()) << "\n";
    std::exit(2);
  }
  auto st = ask<std::string>(sys, p, 10s, caf::get_atom::value, atom::status::value);
  return st ? *st : "";
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: projection_kill_driver produce|verify DIR\n";
    return 2;
  }
  if (getenv("DRIVER_DEBUG"))
    spdlog::set_level(spdlog::level::debug);
  std::string mode = argv[1];
  std::string dir = argv[2];
  fs::create_directories(fs::path{dir} / "projections");
  // The registry must outlive the actor system (supervisors write to it).
  actor_registry registry;
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  if (mode == "produce") {
    boot(sys, registry, dir, {"event_counts"});
    auto log = handle_of<event_log_actor>(registry, "eventlog");
    std::mt19937_64 rng{std::random_device{}()};
    for (uint64_t i = 0;; ++i) {
      std::vector<event_input> batch;
      auto n = 1 + rng() % 8;
      for (uint64_t j = 0; j < n; ++j)
        batch.push_back({event_tag(j % 3 ? "EntityEdited" : "EntityRegistered"),
                         "key" + std::to_string(rng() % 101),
                         "{\"i\":" + std::to_string(i) + ",\"r\":" + std::to_string(rng()) + "}"});
      auto ack = ask<append_ack>(sys, log, 10s, atom::append::value, batch);
      if (!ack) {
        std::cerr << render(ack.error()) << "\n";
        return 1;
      }
      std::cout << ack->first_offset << " " << ack->count << std::endl;
    }
  }
  if (mode != "verify")
    return 2;
  auto ref_dir = fs::path{dir} / "projections" / "reference";
  fs::remove_all(ref_dir);
  auto root = boot(sys, registry, dir, {"event_counts", "reference"});
  auto log = handle_of<event_log_actor>(registry, "eventlog");
  auto end = ask<uint64_t>(sys, log, 10s, caf::get_atom::value, atom::end::value);
  if (!end)
    return 2;
  auto a = status_of(sys, registry, "event_counts", *end);
  auto b = status_of(sys, registry, "reference", *end);
  std::cout << "log end " << *end << "\nresumed:  " << a << "\nrebuilt:  " << b << "\n";
  auto stopped = std::make_shared<std::promise<void>>();
  auto stopped_f = stopped->get_future();
  root->attach_functor([stopped] { stopped->set_value(); });
  caf::anon_send_exit(root, caf::exit_reason::user_shutdown);
  stopped_f.wait();
  release_thread();
  return a == b && !a.empty() ? 0 : 1;
}
