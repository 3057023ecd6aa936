#pragma once

// The actor registry: every supervised actor with its parent, state, restart
// count, last error, mailbox depth and processed messages. Supervisors write
// it; the admin API and console read it from any thread.

#include "messages/actor_name.hpp"

#include <caf/actor_cast.hpp>
#include <caf/actor_control_block.hpp>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace almanac::runtime {

/// Lifecycle states shown in the registry.
enum class actor_state { starting, running, restarting, failed, stopped };

/// Returns the lowercase name of `x`.
const char* to_string(actor_state x);

/// Counters an actor updates itself (lock-free, read from other threads).
struct actor_metrics {
  std::atomic<uint64_t> processed{0}; ///< Messages handled.
  std::atomic<uint64_t> mailbox{0};   ///< Mailbox depth at the last message.
  /// For projections: the next offset to apply; -1 for other actors.
  std::atomic<int64_t> checkpoint{-1};
};

/// One row of the registry as shown to users.
struct actor_info {
  std::string name;
  std::string parent; ///< Parent supervisor's name; empty for the root.
  std::string kind;   ///< "supervisor" or "worker".
  actor_state state = actor_state::starting;
  uint64_t restarts = 0;
  std::string last_error;
  uint64_t mailbox = 0;
  uint64_t processed = 0;
  std::optional<uint64_t> checkpoint; ///< Only for projections.
  std::optional<uint64_t> lag;        ///< Log end - checkpoint (projections).
};

/// Thread-safe table of supervised actors, keyed by unique name.
class actor_registry {
public:
  /// Adds `name` (or resets its handle and state when it exists already).
  void declare(const std::string& name, const std::string& parent,
               const std::string& kind, caf::strong_actor_ptr supervisor);

  /// Returns the metrics block of `name`, creating the entry if needed. The
  /// block survives restarts so counters accumulate over the actor's life.
  std::shared_ptr<actor_metrics> metrics(const std::string& name);

  /// Records the current handle of `name` and marks it running.
  void started(const std::string& name, caf::strong_actor_ptr handle);

  /// Sets the state of `name`.
  void set_state(const std::string& name, actor_state state);

  /// Records a failure of `name` with the rendered reason.
  void failed(const std::string& name, const std::string& reason,
              actor_state next);

  /// Counts one restart of `name`.
  void restarted(const std::string& name);

  /// Returns the current handle of `name` (null when unknown or down).
  caf::strong_actor_ptr handle(const std::string& name) const;

  /// The current handle of a named actor, typed with its interface (null
  /// when down): `registry.find(names::eventlog)`.
  template <class Handle>
  Handle find(actor_name<Handle> n) const {
    return caf::actor_cast<Handle>(handle(n.name));
  }

  /// Returns the supervisor of `name` (null for the root or unknown names).
  caf::strong_actor_ptr supervisor_of(const std::string& name) const;

  /// Returns whether `name` is registered.
  bool contains(const std::string& name) const;

  /// Returns the info of `name`, if registered.
  std::optional<actor_info> info(const std::string& name) const;

  /// Returns every row, in registration order.
  std::vector<actor_info> snapshot() const;

  /// The event log's end offset, kept current by the log (lag = end - checkpoint).
  std::atomic<uint64_t> log_end{0};

  /// The end of what the event log has written, records that sync mode
  /// still hides from readers included (docs/ha.md); >= log_end.
  std::atomic<uint64_t> log_written_end{0};

  /// Marks component `name` as unable to write (a full disk, an I/O error),
  /// or as writing again; /health reports "degraded" while any is.
  void storage_fault(const std::string& name, bool faulty, const std::string& reason = {});

  /// The components that cannot write now, with their reasons.
  std::map<std::string, std::string> storage_faults() const;

private:
  std::map<std::string, std::string> storage_faults_;
  struct entry {
    actor_info info;
    caf::strong_actor_ptr handle;
    caf::strong_actor_ptr supervisor;
    std::shared_ptr<actor_metrics> metrics;
  };
  entry& get_or_add(const std::string& name);
  actor_info render(const entry& e) const;

  mutable std::mutex mtx_;
  std::vector<std::string> order_;
  std::map<std::string, entry> entries_;
};

} // namespace almanac::runtime
