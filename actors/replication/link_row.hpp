#pragma once

// A replication connection's row in the actor registry (docs/ha.md), so
// that `almanac admin actors` and the console show it beside the actors:
// "replication:sender:<standby>" on a primary (one per standby),
// "replication:receiver" on a standby. Running while connected; restarting
// (with the reason) while it reconnects; restarts count the reconnections;
// processed counts the runs of frames shipped or appended.

#include "runtime/actor_registry.hpp"

#include <string>

namespace almanac::replication {

class link_row {
public:
  link_row(runtime::actor_registry* registry, std::string name)
    : registry_(registry), name_(std::move(name)) {
  }

  /// Shows the row (state starting) before the first connection.
  void declare() {
    if (registry_ && !registry_->contains(name_))
      registry_->declare(name_, "replication", "worker", nullptr);
  }

  /// Connected; a reconnection if the row was up before.
  void up() {
    if (!registry_)
      return;
    declare();
    if (auto row = registry_->info(name_); row && row->state != runtime::actor_state::starting)
      registry_->restarted(name_);
    registry_->set_state(name_, runtime::actor_state::running);
  }

  /// Disconnected: `why`, and it tries again.
  void down(const std::string& why) {
    if (registry_ && registry_->contains(name_))
      registry_->failed(name_, why, runtime::actor_state::restarting);
  }

  /// Stopped for good (the node stops, or was promoted).
  void stopped() {
    if (registry_ && registry_->contains(name_))
      registry_->set_state(name_, runtime::actor_state::stopped);
  }

  /// Counts `n` runs of frames.
  void count(uint64_t n = 1) {
    if (registry_)
      registry_->metrics(name_)->processed.fetch_add(n, std::memory_order_relaxed);
  }

private:
  runtime::actor_registry* registry_;
  std::string name_;
};

} // namespace almanac::replication
