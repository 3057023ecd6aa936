#pragma once

// Atoms of Almanac's actor protocols (CAF 0.17: at most 10 characters).

#include <caf/atom.hpp>

namespace almanac::atom {

/// Restart a supervised child by name.
using restart = caf::atom_constant<caf::atom("restart")>;
/// Internal: a delayed (backoff) start of a child is due.
using start = caf::atom_constant<caf::atom("start")>;
/// Internal: a stopping child exceeded its shutdown grace period.
using grace = caf::atom_constant<caf::atom("grace")>;
/// List the names of a supervisor's children.
using children = caf::atom_constant<caf::atom("children")>;

} // namespace almanac::atom

namespace almanac::atom {

/// Append events to the log.
using append = caf::atom_constant<caf::atom("append")>;
/// Internal: the log writer acknowledged (or failed) an append.
using appended = caf::atom_constant<caf::atom("appended")>;
/// Read a range of the log.
using read = caf::atom_constant<caf::atom("read")>;
/// The log's end offset.
using end = caf::atom_constant<caf::atom("end")>;
/// A batch of log records for a subscriber.
using records = caf::atom_constant<caf::atom("records")>;
/// More credit for a log subscription.
using credit = caf::atom_constant<caf::atom("credit")>;
/// Internal: the log committed up to an offset.
using committed = caf::atom_constant<caf::atom("committed")>;
/// Wait until a projection has applied an offset.
using wait = caf::atom_constant<caf::atom("wait")>;
/// Internal: a wait deadline passed.
using deadline = caf::atom_constant<caf::atom("deadline")>;
/// Rebuild a projection from offset 0.
using rebuild = caf::atom_constant<caf::atom("rebuild")>;
/// A projection's checkpoint.
using checkpoint = caf::atom_constant<caf::atom("checkpnt")>;
/// Status of a component, as JSON text.
using status = caf::atom_constant<caf::atom("status")>;
using digest = caf::atom_constant<caf::atom("digest")>;

} // namespace almanac::atom

namespace almanac::atom {

/// Register an entity.
using register_ = caf::atom_constant<caf::atom("register")>;
/// Edit an entity's curated fields.
using edit = caf::atom_constant<caf::atom("edit")>;
/// Remove an entity.
using remove = caf::atom_constant<caf::atom("remove")>;
/// Create a user.
using user = caf::atom_constant<caf::atom("user")>;
/// Issue a token.
using token = caf::atom_constant<caf::atom("token")>;
/// Revoke a token.
using revoke = caf::atom_constant<caf::atom("revoke")>;
/// Usage: a user viewed entities.
using viewed = caf::atom_constant<caf::atom("viewed")>;
/// Usage: a user searched.
using searched = caf::atom_constant<caf::atom("searched")>;
/// Flush batched usage.
using flush = caf::atom_constant<caf::atom("flushuse")>;

} // namespace almanac::atom

namespace almanac::atom {

/// Bring a source's catalog entries in line with an extraction.
using sync = caf::atom_constant<caf::atom("sync")>;
/// Replace an entity's extracted attributes.
using attributes = caf::atom_constant<caf::atom("attrs")>;
/// Prefixes the catalog commands only the sources API sends (a source's
/// registration, connection and removal).
using source = caf::atom_constant<caf::atom("source")>;
/// Submit a job.
using submit = caf::atom_constant<caf::atom("submit")>;
/// Cancel a job.
using cancel = caf::atom_constant<caf::atom("cancel")>;
/// A job's progress.
using progress = caf::atom_constant<caf::atom("progress")>;
/// A job's outcome.
using finished = caf::atom_constant<caf::atom("finished")>;
/// All jobs.
using jobs = caf::atom_constant<caf::atom("jobs")>;

} // namespace almanac::atom

namespace almanac::atom {

/// Schedules.
using schedules = caf::atom_constant<caf::atom("schedules")>;
/// Run a schedule now.
using run = caf::atom_constant<caf::atom("run")>;
/// A periodic check.
using tick = caf::atom_constant<caf::atom("tick")>;

/// Replication: make this standby the primary.
using promote = caf::atom_constant<caf::atom("promote")>;

} // namespace almanac::atom
