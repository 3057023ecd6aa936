#pragma once

// The jobs the log knows: the job pool's list rebuilt from JobSubmitted,
// JobProgressed and JobFinished events, so that job ids never repeat and
// earlier jobs stay listed after a restart. Plain C++, no actors.
//
// Event payloads (the record key is "job:<id>"; the record's timestamp is
// when it happened):
//
// JobSubmitted@1
//   {"job": "job-000001", "kind": "extract", "source": "pagila",
//    "user": "admin", "state": "queued", "options": {...}}
// JobProgressed@1
//   {"job", "kind", "source", "user", "state": "running",
//    "attempt": 2}                  // an attempt started, or
//    "done": 10, "total": 30}       // progress of the running attempt
// JobFinished@1
//   {"job", "kind", "source", "user",
//    "state": "succeeded" | "failed" | "cancelled",
//    "done", "total", "attempts",
//    "error": "...",                // failed only
//    "result": {...},               // succeeded only
//    "interrupted": true}           // the pool stopped while the job was
//                                   // queued or running (state failed)

#include "messages/event_types.hpp"
#include "messages/job_messages.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace almanac::jobs {

/// What is known of a job, in memory and in the log: what the API shows
/// (job_view, messages/job_messages.hpp; the pool answers with that part).
struct job_info : job_view {
  /// Whether the job still has to run or is running.
  bool active() const {
    return state == job_state::queued || state == job_state::running;
  }
};

/// The id of job number `n`: "job-000001".
std::string job_id(uint64_t n);

/// The number of a job id ("job-000042" -> 42), nullopt if it is not one.
std::optional<uint64_t> job_number(const std::string& id);

/// Jobs by id, rebuilt from the log.
class job_history {
public:
  /// Applies one record; records of other types (and malformed job events)
  /// are skipped.
  void apply(const event_record& rec);

  /// Marks every job that was queued or running as failed and interrupted
  /// at `now_ms`; returns the ids of those jobs, in id order.
  std::vector<std::string> interrupt_active(int64_t now_ms);

  /// The number the next job gets: one past the highest seen (1 if none).
  uint64_t next_number() const {
    return next_;
  }

  std::map<std::string, job_info>& jobs() {
    return jobs_;
  }

private:
  /// The job an event names (added if unknown), its kind, source and user
  /// updated; nullptr if the id is malformed.
  job_info* find_or_add(const ev::job_ref& ref, int64_t ms);

  std::map<std::string, job_info> jobs_;
  uint64_t next_ = 1;
};

/// The error text of a job interrupted by a stop in `state`.
std::string interrupted_error(const job_info& j);

/// The events about a job, from what is known of it (JobProgressed: the
/// caller sets attempt, or done and total).
event_input submitted_event(const job_info& j);
ev::job_progressed progressed_event(const job_info& j);
event_input finished_event(const job_info& j);

} // namespace almanac::jobs
