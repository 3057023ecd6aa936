#pragma once

// The standby's side of replication: connects to ha.primary (reconnecting
// with backoff), says where its log stands (hello), truncates what the
// primary does not have, appends the primary's frames byte-exact as they
// come (durable before each acknowledgement), and keeps the node-local
// secrets file the primary sends. Plain threads: the replication actor
// owns a follower and stops it when it exits.

#include "actors/replication/ha_config.hpp"
#include "actors/replication/link_row.hpp"
#include "actors/replication/stop_signal.hpp"
#include "actors/replication/tls_channel.hpp"
#include "runtime/ha_state.hpp"

#include <atomic>
#include <functional>
#include <memory>
#include <thread>

namespace almanac::replication {

class follower {
public:
  /// `truncated` runs (on the follower's thread) after the log lost a tail:
  /// the node restarts its log and projections, which rebuild.
  /// `registry` (may be null) gets the row "replication:receiver".
  follower(ha_config cfg, std::shared_ptr<runtime::ha_state> ha,
           std::function<void()> truncated, runtime::actor_registry* registry = nullptr);

  ~follower();

  caf::error start();

  void stop();

private:
  void run();
  caf::error session(tls_channel& ch);
  bool sleep_for(std::chrono::milliseconds d);

  ha_config cfg_;
  std::shared_ptr<runtime::ha_state> ha_;
  std::function<void()> truncated_;
  link_row row_;
  std::shared_ptr<tls_context> ctx_;
  stop_signal stop_;
  std::thread thread_;
};

} // namespace almanac::replication
