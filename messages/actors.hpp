#pragma once

// Every typed actor interface of Almanac, one comment per handler.
// CAF-heavy: include only from actor implementations and the node runtime.

#include "messages/actor_name.hpp"
#include "messages/atoms.hpp"
#include "messages/catalog_messages.hpp"
#include "messages/events.hpp"
#include "messages/job_messages.hpp"

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace almanac {

/// A supervisor: owns children, restarts them per its strategy, escalates
/// past its restart intensity. Stops its children in reverse start order on
/// any exit message it receives (graceful shutdown), then exits.
using supervisor_actor = caf::typed_actor<
  // Restart the named child now (admin); fails with not_found / unavailable.
  caf::replies_to<atom::restart, std::string>::with<caf::ok_atom>,
  // Returns the names of the children in start order.
  caf::replies_to<atom::children>::with<std::vector<std::string>>,
  // Internal: the backoff for child (index, generation) has elapsed.
  caf::reacts_to<atom::start, uint64_t, uint64_t>,
  // Internal: the shutdown grace of child (index, generation) has elapsed.
  caf::reacts_to<atom::grace, uint64_t, uint64_t>>;

} // namespace almanac

namespace almanac {

/// The HTTP gateway: owns the listener; requests are served on its threads.
using gateway_actor = caf::typed_actor<
  // Returns the base URL the gateway listens on.
  caf::replies_to<caf::get_atom>::with<std::string>>;

} // namespace almanac

namespace almanac {

/// Receives log records pushed by a subscription.
using log_subscriber_actor = caf::typed_actor<
  // A batch of records in offset order; consumes that much credit.
  caf::reacts_to<atom::records, std::vector<event_record>>>;

/// The event log: durable appends (group commit), reads and subscriptions.
using event_log_actor = caf::typed_actor<
  // Appends events in order; replies once they are durable.
  caf::replies_to<atom::append, std::vector<event_input>>::with<append_ack>,
  // Reads at most `max` records from an offset.
  caf::replies_to<atom::read, uint64_t, uint64_t>::with<std::vector<event_record>>,
  // Like read, but if nothing is there yet waits up to `wait_ms` for records
  // (long poll); replies with an empty vector when the wait ends.
  caf::replies_to<atom::read, uint64_t, uint64_t, uint64_t>::with<std::vector<event_record>>,
  // Internal: the long poll with id `id` reached its deadline.
  caf::reacts_to<atom::deadline, uint64_t>,
  // Returns the end offset (the next offset to be assigned).
  caf::replies_to<caf::get_atom, atom::end>::with<uint64_t>,
  // Returns the log's status (segments, offsets, writer counters) as JSON.
  caf::replies_to<caf::get_atom, atom::status>::with<std::string>,
  // Subscribes the sender from an offset with an initial credit (records);
  // records follow as they are committed, as long as credit lasts.
  caf::reacts_to<caf::subscribe_atom, uint64_t, uint64_t, log_subscriber_actor>,
  // Grants the sender's subscription more credit.
  caf::reacts_to<atom::credit, uint64_t>,
  // Internal: the writer acknowledged append request `id`.
  caf::reacts_to<atom::appended, uint64_t, append_ack>,
  // Internal: the writer failed append request `id`.
  caf::reacts_to<atom::appended, uint64_t, caf::error>,
  // Internal: the log committed records up to an end offset.
  caf::reacts_to<atom::committed, uint64_t>>;

/// A projection driver: feeds a projection from its checkpoint.
using projection_actor = log_subscriber_actor::extend<
  // Replies once the projection has applied everything below `offset`,
  // or fails with `unavailable` (naming the lag) after `timeout_ms`.
  caf::replies_to<atom::wait, uint64_t, uint64_t>::with<uint64_t>,
  // Internal: the wait with id `id` timed out.
  caf::reacts_to<atom::deadline, uint64_t>,
  // Internal: a projection that could not write asks the log again (the
  // stall's number: one a rebuild overtook is ignored).
  caf::reacts_to<atom::tick, uint64_t>,
  // Internal: applies the records received since the last apply in one
  // write (sent to itself after the first of them, so that every batch
  // already waiting in the mailbox joins the same write: group apply).
  caf::reacts_to<atom::flush>,
  // Discards the projection's state and replays the log from offset 0.
  caf::replies_to<atom::rebuild>::with<caf::ok_atom>,
  // Returns the checkpoint (next offset to apply).
  caf::replies_to<caf::get_atom, atom::checkpoint>::with<uint64_t>,
  // Returns the projection's own summary as JSON.
  caf::replies_to<caf::get_atom, atom::status>::with<std::string>,
  // Returns {"checkpoint": N, "digest": hex} of the state at N (see
  // projection::digest).
  caf::replies_to<caf::get_atom, atom::digest>::with<std::string>>;

} // namespace almanac

namespace almanac {

/// The catalog's command side: validates commands against the current state
/// (projection plus its own pending events), appends their events and replies
/// once they are durable. Only the atom::source commands may create, remove
/// or configure a source (actors/catalog/domain/commands.hpp). Bodies arrive parsed
/// (json_body); every reply (messages/catalog_messages.hpp) carries
/// `offset`, the log offset of the command's last event.
using catalog_actor = caf::typed_actor<
  // Registers an entity (body of POST /api/v1/entities) for `user`.
  caf::replies_to<atom::register_, json_body, std::string>::with<register_reply>,
  // Edits an entity: urn, body, If-Match version (-1: none), user.
  caf::replies_to<atom::edit, std::string, json_body, int64_t, std::string>::with<edit_reply>,
  // Removes an entity: urn, If-Match version (-1: none), cascade, user.
  caf::replies_to<atom::remove, std::string, int64_t, bool, std::string>::with<remove_reply>,
  // Creates a user (body {"user","role"}) and its first token; by `admin`.
  caf::replies_to<atom::user, json_body, std::string>::with<token_reply>,
  // Issues a token (body {"user","role"}); by `admin`.
  caf::replies_to<atom::token, json_body, std::string>::with<token_reply>,
  // Revokes a token by id; by `admin`.
  caf::replies_to<atom::revoke, std::string, std::string>::with<revoke_reply>,
  // Syncs a source with an extraction: source URN, desired entities, scope
  // (URNs of tables or views; empty: all), user.
  caf::replies_to<atom::sync, std::string, std::vector<desired_entity>,
                  std::vector<std::string>, std::string>::with<sync_reply>,
  // Replaces the attributes of an entity that is not a source (a JSON
  // object; "connection" unchanged); by `user`.
  caf::replies_to<atom::attributes, std::string, json_body, std::string>::with<edit_reply>,
  // Sources API only: registers a source (body as for register_, kind
  // "source", attributes may hold "connection") for `user`.
  caf::replies_to<atom::source, atom::register_, json_body, std::string>::with<register_reply>,
  // Sources API only: replaces a source's attributes: urn, attributes, user.
  caf::replies_to<atom::source, atom::attributes, std::string, json_body,
                  std::string>::with<edit_reply>,
  // Sources API only: removes a source and everything below it: urn, user.
  caf::replies_to<atom::source, atom::remove, std::string, std::string>::with<remove_reply>>;

/// The job pool: queues jobs, runs them on detached workers within
/// concurrency limits (in total and per source), retries crashes with
/// backoff, tracks progress and outcome. At start it rebuilds its job list
/// from the log (requests wait until then). Replies are structs
/// (messages/job_messages.hpp).
using jobs_actor = caf::typed_actor<
  // Submits a job: kind, source name, options (a JSON object), user; replies
  // once its JobSubmitted event is durable.
  caf::replies_to<atom::submit, std::string, std::string, json_body,
                  std::string>::with<job_submitted>,
  // Returns one job; fails with not_found.
  caf::replies_to<caf::get_atom, std::string>::with<job_view>,
  // Returns every job, newest first.
  caf::replies_to<caf::get_atom, atom::jobs>::with<std::vector<job_view>>,
  // Cancels a job -> the job (still running if its worker has yet to stop).
  caf::replies_to<atom::cancel, std::string>::with<job_view>,
  // Internal: a worker reports progress (id, done, total).
  caf::reacts_to<atom::progress, std::string, uint64_t, uint64_t>,
  // Internal: a worker finished (id, its result or its error).
  caf::reacts_to<atom::finished, std::string, job_result>,
  caf::reacts_to<atom::finished, std::string, caf::error>,
  // Internal: a retry's backoff elapsed (id).
  caf::reacts_to<atom::start, std::string>,
  // Internal: try again to rebuild the job list from the log.
  caf::reacts_to<atom::tick>>;

/// Batches usage (entity views, searches) into few events.
using usage_actor = caf::typed_actor<
  // `user` viewed the entity `urn`.
  caf::reacts_to<atom::viewed, std::string, std::string>,
  // `user` searched for `text` and got `results` hits.
  caf::reacts_to<atom::searched, std::string, std::string, uint64_t>,
  // Appends what has been batched (timer, or when the batch is full).
  caf::reacts_to<atom::flush>>;

} // namespace almanac

namespace almanac {

/// The scheduler: follows ScheduleDefined/ScheduleRemoved in the log (so a
/// standby has every schedule) and, on a primary, submits each schedule's job
/// in the minutes its cron expression names.
using scheduler_actor = log_subscriber_actor::extend<
  // Returns every schedule, in id order.
  caf::replies_to<caf::get_atom, atom::schedules>::with<std::vector<schedule_view>>,
  // Submits schedule `id`'s job now (the job pool's reply); fails with
  // not_found.
  caf::replies_to<atom::run, std::string>::with<job_submitted>,
  // Internal: the periodic check.
  caf::reacts_to<atom::tick>>;

} // namespace almanac

namespace almanac {

/// Replication (actors/replication, docs/ha.md): on a primary with
/// ha.listen, the listener and a session per standby; on a standby, the
/// follower of ha.primary. Threads do the network I/O; the actor owns them
/// and stops them when it exits.
using replication_actor = caf::typed_actor<
  // Returns the node's replication status as JSON (GET /monitor/replication).
  caf::replies_to<caf::get_atom, atom::status>::with<std::string>,
  // Promotes this standby (by `user`): stops following, starts a new epoch
  // durably (a new segment and a NodePromoted event), accepts writes,
  // opens ha.listen. Replies {"epoch","offset","took_ms"} as JSON;
  // conflict on a node that is already primary.
  caf::replies_to<atom::promote, std::string>::with<std::string>>;

/// Its registered name.
namespace names {
constexpr actor_name<replication_actor> replication{"replication"};
} // namespace names

} // namespace almanac

namespace almanac {

/// The registered names of the actors that others look up, each with its
/// interface (runtime::actor_registry::find).
namespace names {
constexpr actor_name<event_log_actor> eventlog{"eventlog"};
constexpr actor_name<catalog_actor> catalog{"catalog"};
constexpr actor_name<jobs_actor> jobs{"jobs"};
constexpr actor_name<usage_actor> usage{"usage"};
constexpr actor_name<scheduler_actor> scheduler{"scheduler"};
constexpr actor_name<projection_actor> catalog_state{"catalog_state"};
} // namespace names

} // namespace almanac
