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

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace almanac::jobs {

/// Where a job is: waiting (or waiting for a retry), running, or ended.
/// In JSON, the API and events: "queued", "running", "succeeded", "failed",
/// "cancelled".
enum class job_state { queued, running, succeeded, failed, cancelled };

NLOHMANN_JSON_SERIALIZE_ENUM(job_state, {{job_state::queued, "queued"},
                                         {job_state::running, "running"},
                                         {job_state::succeeded, "succeeded"},
                                         {job_state::failed, "failed"},
                                         {job_state::cancelled, "cancelled"}})

/// "queued", "running", ...
const char* to_string(job_state s);

/// The state named `name`; nullopt for an unknown name.
std::optional<job_state> parse_job_state(const std::string& name);

/// What is known of a job, in memory and in the log.
struct job_info {
  std::string id;
  std::string kind;
  std::string source;
  std::string user;
  nlohmann::json options = nlohmann::json::object();
  job_state state = job_state::queued;
  uint64_t done = 0;
  uint64_t total = 0;
  std::string error;
  nlohmann::json result;
  uint64_t attempts = 0;
  int64_t submitted_ms = 0;
  int64_t started_ms = 0;
  int64_t finished_ms = 0;
  bool interrupted = false;

  /// Whether the job still has to run or is running.
  bool active() const {
    return state == job_state::queued || state == job_state::running;
  }

  /// The job as the API shows it.
  nlohmann::json to_json() const;
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
