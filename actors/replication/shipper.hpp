#pragma once

// The primary's side of replication: a listener for standbys and, per
// connected standby, a session that finds where the standby's log agrees
// with this one (divergence_point), tells it to truncate the rest, and
// streams frames from there as they are committed, byte-exact. The
// standby's acknowledgements move its durable offset (and, in sync mode,
// the node's replicated watermark). Plain threads: the replication actor
// owns a shipper and stops it when it exits.

#include "actors/replication/ha_config.hpp"
#include "actors/replication/link_row.hpp"
#include "actors/replication/stop_signal.hpp"
#include "actors/replication/tls_channel.hpp"
#include "runtime/ha_state.hpp"

#include <atomic>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

namespace almanac::replication {

/// Milliseconds since the record at `offset` was written; 0 if the log has
/// no record there (nothing is missing).
int64_t record_age_ms(const storage::segment_log& log, uint64_t offset);

class shipper {
public:
  /// `registry` (may be null) gets a row per standby (link_row.hpp).
  shipper(ha_config cfg, std::shared_ptr<runtime::ha_state> ha,
          runtime::actor_registry* registry = nullptr);

  ~shipper();

  /// Binds ha.listen and starts accepting standbys.
  caf::error start();

  /// Closes the listener and every session; waits for their threads.
  void stop();

  /// The port the listener is bound to.
  uint16_t port() const {
    return port_;
  }

private:
  void accept_loop();
  void session(tls_listener::pending p);
  /// Joins the threads of sessions that ended.
  void reap();
  caf::error serve(tls_channel& ch, runtime::standby_view& view, int wake,
                   std::optional<link_row>& row);

  ha_config cfg_;
  std::shared_ptr<runtime::ha_state> ha_;
  runtime::actor_registry* registry_;
  std::shared_ptr<tls_context> ctx_;
  std::unique_ptr<tls_listener> listener_;
  uint16_t port_ = 0;
  stop_signal stop_;
  std::thread acceptor_;
  struct session_thread {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::mutex sessions_mutex_;
  std::list<session_thread> sessions_;
};

} // namespace almanac::replication
