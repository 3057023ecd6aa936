#include "actors/replication/replication_actor.hpp"

#include "actors/replication/follower.hpp"
#include "actors/replication/replication_routes.hpp"
#include "actors/replication/shipper.hpp"
#include "messages/actors.hpp"
#include "messages/error.hpp"
#include "messages/event_types.hpp"
#include "storage/log/segment_log.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

namespace almanac::replication {

namespace {

struct replication_state {
  static constexpr const char* name = "replication";
  ha_config cfg;
  std::unique_ptr<shipper> ship;
  std::unique_ptr<follower> follow;

  /// Promotion (docs/ha.md): returns {"epoch","offset","took_ms"}.
  caf::expected<std::string> promote(runtime::node_context& node,
                                     const std::string& user);

  // Runs on the actor's own (detached) thread.
  ~replication_state() {
    if (ship)
      ship->stop();
    if (follow)
      follow->stop();
  }
};

caf::expected<std::string>
replication_state::promote(runtime::node_context& node, const std::string& user) {
  auto started = std::chrono::steady_clock::now();
  auto& ha = *node.ha;
  if (!ha.standby)
    return make_error(ec::conflict, "this node is already the primary");
  if (ha.superseded_by)
    return make_error(ec::conflict,
                      "this node is a replaced primary (fenced): restart it as a "
                      "standby of the new primary instead");
  auto log = ha.log();
  if (!log)
    return make_error(ec::unavailable, "the event log is restarting; try again");
  // Stop following first: nothing from the old primary may land after the
  // new epoch starts. Promotion does not need the old primary.
  if (follow)
    follow->stop();
  auto was = ha.follower();
  auto previous = log->epoch();
  auto epoch = std::max(previous, was.primary_epoch) + 1;
  // The new epoch, durably: its entry in the epoch history and a segment
  // of its own, both synced, before any write of it is taken.
  if (auto err = log->roll(epoch))
    return err;
  // Sync mode: everything this node has is readable; from here on a write
  // waits for a standby of the new primary.
  ha.reset_watermark(log->end_offset());
  ha.standby = false;
  ev::node_promoted e;
  e.user = user;
  e.node = cfg.name;
  e.epoch = epoch;
  e.previous_epoch = previous;
  e.previous_primary = was.primary;
  auto in = ev::to_event(e, "node:" + cfg.name);
  auto ack = log->append_sync({storage::record_input{in.type, in.key, in.payload, std::nullopt}});
  if (!ack)
    return std::move(ack.error());
  ha.reset_watermark(log->end_offset());
  follow.reset();
  if (cfg.listens()) {
    ship = std::make_unique<shipper>(cfg, node.ha, &node.registry);
    if (auto err = ship->start())
      spdlog::error("[replication] promoted, but cannot open ha.listen: {}", render(err));
  }
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
    std::chrono::steady_clock::now() - started);
  spdlog::warn("[replication] {} promoted by {}: now the primary, epoch {} from offset {} "
               "({} ms)",
               cfg.name, user, epoch, ack->first_offset, took.count());
  return nlohmann::json{{"epoch", epoch}, {"offset", ack->first_offset},
                        {"took_ms", took.count()}}
    .dump();
}

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
  self->state.cfg = *cfg;
  if (node->ha->standby) {
    auto* registry = &node->registry;
    // After a truncation the log and its projections start again: the
    // storage supervisor restarts the log and everything after it.
    auto restart_log = [registry] {
      if (auto sup = registry->handle("storage"))
        caf::anon_send(caf::actor_cast<supervisor_actor>(sup), atom::restart::value,
                       std::string{"eventlog"});
    };
    self->state.follow = std::make_unique<follower>(*cfg, node->ha, restart_log,
                                                    &node->registry);
    if (auto err = self->state.follow->start()) {
      self->quit(err);
      return replication_actor::behavior_type::make_empty_behavior();
    }
  } else if (cfg->listens()) {
    self->state.ship = std::make_unique<shipper>(*cfg, node->ha, &node->registry);
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
    [self, node, metrics](atom::promote, const std::string& user)
      -> caf::result<std::string> {
      metrics->processed.fetch_add(1, std::memory_order_relaxed);
      auto r = self->state.promote(*node, user);
      if (!r)
        return r.error();
      return std::move(*r);
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
