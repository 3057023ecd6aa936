#include "actors/replication/replication_actor.hpp"

#include "actors/replication/follower.hpp"
#include "actors/replication/replication_routes.hpp"
#include "actors/replication/shipper.hpp"
#include "messages/actors.hpp"
#include "messages/error.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

namespace almanac::replication {

namespace {

struct replication_state {
  static constexpr const char* name = "replication";
  std::unique_ptr<shipper> ship;
  std::unique_ptr<follower> follow;

  // Runs on the actor's own (detached) thread.
  ~replication_state() {
    if (ship)
      ship->stop();
    if (follow)
      follow->stop();
  }
};

replication_actor::behavior_type
replication_impl(replication_actor::stateful_pointer<replication_state> self,
                 runtime::node_context* node,
                 std::shared_ptr<runtime::actor_metrics> metrics) {
  auto cfg = ha_config_from(node->settings);
  if (!cfg) {
    self->quit(cfg.error());
    return replication_actor::behavior_type::make_empty_behavior();
  }
  node->ha->name = cfg->name;
  if (node->ha->standby) {
    auto* registry = &node->registry;
    // After a truncation the log and its projections start again: the
    // storage supervisor restarts the log and everything after it.
    auto restart_log = [registry] {
      if (auto sup = registry->handle("storage"))
        caf::anon_send(caf::actor_cast<supervisor_actor>(sup), atom::restart::value,
                       std::string{"eventlog"});
    };
    self->state.follow = std::make_unique<follower>(*cfg, node->ha, restart_log);
    if (auto err = self->state.follow->start()) {
      self->quit(err);
      return replication_actor::behavior_type::make_empty_behavior();
    }
  } else if (cfg->listens()) {
    self->state.ship = std::make_unique<shipper>(*cfg, node->ha);
    if (auto err = self->state.ship->start()) {
      self->quit(err);
      return replication_actor::behavior_type::make_empty_behavior();
    }
  }
  return {
    [self, node, metrics](caf::get_atom, atom::status) {
      metrics->processed.fetch_add(1, std::memory_order_relaxed);
      return replication_status(*node).dump();
    },
  };
}

} // namespace

runtime::child_spec replication_child(runtime::node_context& node) {
  return {"replication", [&node](const runtime::child_context& ctx) {
            auto h = ctx.system->spawn<caf::detached>(replication_impl, &node,
                                                      ctx.metrics);
            return caf::actor_cast<caf::actor>(h);
          }};
}

} // namespace almanac::replication
