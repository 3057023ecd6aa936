#pragma once

// The event log actor's behaviour and state, for event_log.cpp (which
// spawns it detached) and for deterministic tests (which spawn it on CAF's
// test coordinator). CAF-heavy: include it nowhere else.
//
// Two threads of the log talk to the actor: its writer (or acknowledgement)
// thread runs the append callbacks and the commit listener, which send the
// actor `appended` and `committed` messages. A log_handoff decides on which
// thread those sends happen.

#include "messages/actors.hpp"
#include "runtime/actor_registry.hpp"
#include "runtime/ha_state.hpp"
#include "storage/log/segment_log.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace almanac::eventlog {

/// Runs `send`, which sends one message from a log thread to the log actor.
/// Empty (production): the log thread sends at once. CAF's test coordinator
/// lets only the test's thread touch its job queue, so a test queues `send`
/// and runs it from that thread, in the order the log handed them over.
using log_handoff = std::function<void(std::function<void()> send)>;

/// One subscriber: where it is in the log and how much it may receive.
struct subscription {
  log_subscriber_actor sink;
  uint64_t next = 0;   ///< The next offset to push.
  uint64_t credit = 0; ///< Records it may receive before granting more.
};

struct event_log_state {
  static constexpr const char* name = "eventlog";

  event_log_actor::stateful_pointer<event_log_state> self = nullptr;
  /// Shared with the replication threads through `ha` (they read and
  /// append through the same log object).
  std::shared_ptr<storage::segment_log> log;
  /// The node's replication state; null in tests without replication.
  std::shared_ptr<runtime::ha_state> ha;
  std::shared_ptr<runtime::actor_metrics> metrics;
  runtime::actor_registry* registry = nullptr;
  log_handoff handoff; ///< How the log's threads send to this actor.
  uint64_t next_request = 0;
  std::map<uint64_t, caf::typed_response_promise<append_ack>> pending;
  std::map<caf::actor_addr, subscription> subscriptions;

  /// A long poll waiting for records at or after `from`.
  struct poll {
    uint64_t from;
    uint64_t max;
    caf::typed_response_promise<std::vector<event_record>> promise;
  };
  uint64_t next_poll = 0;
  std::map<uint64_t, poll> polls;

  /// Sync mode (docs/ha.md): an append durable here, its acknowledgement
  /// held until the standby has it or `deadline` passes.
  struct held {
    uint64_t id;
    append_ack ack;
    std::chrono::steady_clock::time_point deadline;
  };
  std::deque<held> held_acks;

  /// Sync mode with ha.sync_fallback = refuse: a wait for the standby timed
  /// out; appends are refused at once until the standby has the whole log
  /// (so that nothing is validated against a state missing the records in
  /// doubt).
  bool stalled = false;

  /// The end readers may see: the log's, or in sync mode the watermark.
  uint64_t visible_end() const;

  /// Raises registry->log_end to the visible end (never lowers it).
  void publish_end();

  /// Sync mode: answers the held acknowledgements the standby confirmed,
  /// fails (or, with fallback, releases) those past their deadline, and
  /// leaves the stalled and degraded states when the standby caught up.
  void settle();

  /// Why an append is not acknowledged in sync mode, with the standbys'
  /// states.
  std::string sync_failure(const std::string& what) const;

  /// Closes the log. Runs on the actor's own thread when it terminates
  /// (attach_functor would run after the state is gone).
  ~event_log_state();

  /// Answers every long poll that now has records.
  void answer_polls();

  /// Counts one handled message.
  void count();

  /// Reads like segment_log::read, as event records.
  caf::expected<std::vector<event_record>> read(uint64_t from, uint64_t max,
                                                size_t max_bytes);

  /// Pushes what each subscriber may receive.
  void push_all();

  /// Pushes to `sub` what its credit allows, below `end`.
  void push(subscription& sub, uint64_t end);

  /// The log's offsets, segments and writer counters as JSON.
  std::string status_json() const;
};

/// The behaviour of the actor "eventlog": opens the log at `opts.dir`
/// (retrying briefly while a predecessor still holds its lock), keeps
/// `registry->log_end` current and reports storage faults to `registry`.
/// With `ha`: publishes the log there, wakes the replication senders on
/// every commit, and refuses appends (ec::read_only) while the node is a
/// standby.
event_log_actor::behavior_type
event_log_impl(event_log_actor::stateful_pointer<event_log_state> self,
               storage::log_options opts,
               std::shared_ptr<runtime::actor_metrics> metrics,
               runtime::actor_registry* registry, log_handoff handoff,
               std::shared_ptr<runtime::ha_state> ha = nullptr);

} // namespace almanac::eventlog
