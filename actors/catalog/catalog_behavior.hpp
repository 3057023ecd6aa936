#pragma once

// The catalog actor's behaviour and state, for catalog_actor.cpp (which
// spawns it detached) and for deterministic tests (which spawn it on CAF's
// test coordinator). CAF-heavy: include it nowhere else.
//
// Start-up is asynchronous: the actor asks the log for its end, then (when
// its projection is behind) the projection driver to wait until it has
// applied that end. Commands that arrive meanwhile wait, unanswered, and run
// in order once the state is current, so that no command validates against
// a state missing an acknowledged write (a version handed out twice).

#include "actors/catalog/catalog_projection.hpp"
#include "actors/catalog/domain/commands.hpp"
#include "actors/catalog/domain/pending_state.hpp"
#include "messages/actors.hpp"
#include "runtime/actor_registry.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace almanac::catalog {

struct catalog_actor_state {
  static constexpr const char* name = "catalog";

  catalog_actor::stateful_pointer<catalog_actor_state> self = nullptr;
  std::shared_ptr<catalog::catalog_projection> projected;
  std::unique_ptr<pending_state> pending;
  std::shared_ptr<runtime::actor_metrics> metrics;
  runtime::actor_registry* registry = nullptr;
  uint64_t next_seq = 0;
  int appending = 0;       ///< Appends sent and not yet answered.
  bool resyncing = false;  ///< A write was refused: revalidate once caught up.
  /// What "caught up" means then: everything the log had written when the
  /// write failed (hidden, in-doubt records included).
  uint64_t resync_target = 0;
  bool ready = false;      ///< The state has applied the log's end at start.
  /// A command that arrived before `ready`: how to run it, how to refuse it.
  struct waiting_command {
    std::function<void()> run;
    std::function<void(const caf::error&)> refuse;
  };
  std::vector<waiting_command> waiting; ///< In arrival order.

  /// Validates with `validate` (state_view -> expected<command_result<R>>),
  /// appends its events and answers with the reply once they are durable
  /// (its offset set to the last event's). Before `ready`, it waits.
  template <class R, class Validate>
  caf::result<R> run(const std::string& user, Validate validate);

  /// Runs the commands that waited for start-up.
  void start_serving();

  /// Start-up failed: answers the waiting commands with `err` and quits
  /// (the supervisor restarts the actor).
  void give_up(const caf::error& err);

private:
  template <class R, class Validate>
  void execute(caf::typed_response_promise<R> rp, const std::string& user,
               Validate& validate);
};

/// The behaviour of the actor "catalog": validates against `projected`,
/// appends to the registry's current "eventlog", waits at start on the
/// registry's "catalog_state" driver.
catalog_actor::behavior_type
catalog_behavior(catalog_actor::stateful_pointer<catalog_actor_state> self,
                 std::shared_ptr<catalog::catalog_projection> projected,
                 std::shared_ptr<runtime::actor_metrics> metrics,
                 runtime::actor_registry* registry);

} // namespace almanac::catalog
