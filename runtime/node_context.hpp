#pragma once

// What the parts of a running node share: the actor system, the actor
// registry, the effective settings, the token table and the node's status.

#include "config/settings.hpp"
#include "runtime/access.hpp"
#include "runtime/actor_registry.hpp"
#include "runtime/ha_state.hpp"

#include <caf/fwd.hpp>

#include <atomic>
#include <chrono>
#include <string>

namespace almanac::runtime {

/// Shared state of one node. Lives as long as the process.
struct node_context {
  caf::actor_system* system = nullptr;
  actor_registry registry;
  config::settings settings;
  token_table tokens;
  /// Replication: role, epoch, peers (runtime/ha_state.hpp).
  std::shared_ptr<ha_state> ha = std::make_shared<ha_state>();
  std::atomic<bool> failed{false};
  std::string failure;
  std::chrono::steady_clock::time_point started
    = std::chrono::steady_clock::now();
  std::string version;

  /// Seconds since the node started.
  double uptime_s() const {
    using namespace std::chrono;
    return duration<double>(steady_clock::now() - started).count();
  }
};

} // namespace almanac::runtime
