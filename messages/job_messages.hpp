#pragma once

// What crosses actors on the way into and out of the job pool and the
// scheduler, as structs: a worker hands the pool its result as a parsed
// value (job_result), the pool answers with job_submitted and job_view, the
// scheduler with schedule_view; the HTTP edge renders each with to_json (one
// codec per reply). Each has an inspect() so that it could cross a node;
// free-form JSON members (a job's options and result, a schedule's options)
// travel as their JSON text inside the frame and are parsed once on arrival
// (meta::save_callback / load_callback), as json_body does.

#include <utility> // before CAF's callback headers, which use std::move

#include "messages/error.hpp"

#include <caf/error.hpp>
#include <caf/meta/load_callback.hpp>
#include <caf/meta/save_callback.hpp>
#include <caf/meta/type_name.hpp>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace almanac {

/// Where a job is: waiting (or waiting for a retry), running, or ended.
/// In JSON, the API and events: "queued", "running", "succeeded", "failed",
/// "cancelled".
enum class job_state : uint8_t { queued, running, succeeded, failed, cancelled };

NLOHMANN_JSON_SERIALIZE_ENUM(job_state, {{job_state::queued, "queued"},
                                         {job_state::running, "running"},
                                         {job_state::succeeded, "succeeded"},
                                         {job_state::failed, "failed"},
                                         {job_state::cancelled, "cancelled"}})

/// "queued", "running", ...
const char* to_string(job_state s);

/// The state named `name`; nullopt for an unknown name.
std::optional<job_state> parse_job_state(const std::string& name);

/// `x` as JSON text in a frame (invalid UTF-8 replaced).
std::string frame_json_text(const nlohmann::json& x);

/// JSON text from a frame, parsed; an error naming `what` if it is not JSON.
caf::error parse_frame_json(const std::string& text, nlohmann::json& out,
                            const std::string& what);

/// A job submitted: its id, durable from here on (POST .../extract and the
/// like, a schedule run).
struct job_submitted {
  std::string job;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_submitted& x) {
  return f(caf::meta::type_name("almanac.job_submitted"), x.job);
}

/// What a worker's job returned (any JSON value): locally the parsed
/// value, across a node its text, parsed on arrival.
struct job_result {
  nlohmann::json value;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_result& x) {
  std::string text;
  auto save = caf::meta::save_callback([&]() -> caf::error {
    text = frame_json_text(x.value);
    return caf::none;
  });
  auto load = caf::meta::load_callback(
    [&]() -> caf::error { return parse_frame_json(text, x.value, "a job result"); });
  return f(caf::meta::type_name("almanac.job_result"), save, text, load);
}

/// A job as the API shows it (GET /api/v1/jobs/{id}); the pool's job_info
/// (actors/jobs/job_history.hpp) is this plus what only the pool needs.
struct job_view {
  std::string id;
  std::string kind;
  std::string source; ///< Source name.
  std::string user;
  nlohmann::json options = nlohmann::json::object();
  job_state state = job_state::queued;
  uint64_t done = 0;  ///< Progress of the running (or last) attempt.
  uint64_t total = 0;
  std::string error;     ///< Empty: none (null in JSON).
  nlohmann::json result; ///< Null: none (absent in JSON).
  uint64_t attempts = 0;
  int64_t submitted_ms = 0;
  int64_t started_ms = 0;  ///< 0: not started (absent in JSON).
  int64_t finished_ms = 0; ///< 0: not finished (absent in JSON).
  bool interrupted = false; ///< The pool stopped while the job was active.
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_view& x) {
  std::string options;
  std::string result;
  auto save = caf::meta::save_callback([&]() -> caf::error {
    options = frame_json_text(x.options);
    result = frame_json_text(x.result);
    return caf::none;
  });
  auto load = caf::meta::load_callback([&]() -> caf::error {
    if (static_cast<uint8_t>(x.state) > static_cast<uint8_t>(job_state::cancelled))
      return make_error(ec::bad_request, "job " + x.id + ": an unknown state in the frame");
    if (auto err = parse_frame_json(options, x.options, "job " + x.id + ": its options"))
      return err;
    return parse_frame_json(result, x.result, "job " + x.id + ": its result");
  });
  return f(caf::meta::type_name("almanac.job_view"), x.id, x.kind, x.source, x.user,
           x.state, x.done, x.total, x.error, x.attempts, x.submitted_ms, x.started_ms,
           x.finished_ms, x.interrupted, save, options, result, load);
}

/// A schedule as the API shows it (GET /api/v1/schedules): its
/// ScheduleDefined event (the members this version does not know in
/// `extra`) and the job it last submitted.
struct schedule_view {
  std::string id;
  std::string user;
  std::string cron;
  std::string kind;
  std::string source;
  nlohmann::json options = nlohmann::json::object();
  nlohmann::json extra = nlohmann::json::object(); ///< Members of a newer writer.
  std::string last_job; ///< Empty: none yet (absent in JSON).
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, schedule_view& x) {
  std::string options;
  std::string extra;
  auto save = caf::meta::save_callback([&]() -> caf::error {
    options = frame_json_text(x.options);
    extra = frame_json_text(x.extra);
    return caf::none;
  });
  auto load = caf::meta::load_callback([&]() -> caf::error {
    if (auto err = parse_frame_json(options, x.options, "schedule " + x.id + ": its options"))
      return err;
    if (auto err = parse_frame_json(extra, x.extra, "schedule " + x.id + ": its members"))
      return err;
    if (!x.options.is_object() || !x.extra.is_object())
      return make_error(ec::bad_request, "schedule " + x.id
                                           + ": its options or members in the frame are not a JSON object");
    return caf::none;
  });
  return f(caf::meta::type_name("almanac.schedule_view"), x.id, x.user, x.cron, x.kind,
           x.source, x.last_job, save, options, extra, load);
}

// The replies as the HTTP API answers them (docs/api.md).
void to_json(nlohmann::json& j, const job_submitted& x);
void to_json(nlohmann::json& j, const job_view& x);
void to_json(nlohmann::json& j, const schedule_view& x);

} // namespace almanac
