#pragma once

// OTP-style supervisors: one-for-one and rest-for-one strategies, restart
// intensity (at most N restarts within a window, then escalate to the parent),
// exponential backoff between restarts, and ordered shutdown (reverse start
// order, each child with a grace period before it is killed).

#include "runtime/actor_registry.hpp"

#include <caf/fwd.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace almanac::runtime {

/// What a supervisor restarts when a child fails.
enum class strategy {
  one_for_one, ///< Only the failed child.
  rest_for_one ///< The failed child and every child started after it.
};

/// Restart intensity, backoff and shutdown grace of one supervisor.
struct restart_policy {
  size_t max_restarts = 5;
  std::chrono::milliseconds window{60000};
  std::chrono::milliseconds backoff_initial{100};
  std::chrono::milliseconds backoff_max{5000};
  std::chrono::milliseconds shutdown_grace{5000};

  /// The delay before the n-th restart within the window (n >= 1).
  std::chrono::milliseconds backoff(size_t n) const;
};

/// What a child starter receives.
struct child_context {
  caf::actor_system* system;
  actor_registry* registry;
  std::string name;                        ///< The child's registry name.
  std::shared_ptr<actor_metrics> metrics;  ///< Counters the child updates.
};

/// Spawns a child and returns its handle (invalid handle = failed start).
using child_starter = std::function<caf::actor(const child_context&)>;

/// One child of a supervisor.
struct child_spec {
  std::string name;
  child_starter start;
  std::string kind = "worker";
};

/// A supervisor and its children, in start order.
struct supervisor_spec {
  std::string name;
  strategy strat = strategy::one_for_one;
  restart_policy policy;
  std::vector<child_spec> children;
};

/// A child spec that starts a nested supervisor.
child_spec supervisor_child(supervisor_spec spec);

/// Makes `to` fail with `reason`, as a real fault would (an exit message that
/// its supervisor then sees as the child's exit reason).
void send_fault(const caf::strong_actor_ptr& to, caf::error reason);

/// Spawns the root supervisor `spec` and records it in `registry`.
caf::actor spawn_root(caf::actor_system& sys, actor_registry& registry,
                      supervisor_spec spec);

} // namespace almanac::runtime
