#include "messages/job_messages.hpp"

#include "messages/event_types.hpp"

namespace almanac {

using nlohmann::json;

const char* to_string(job_state s) {
  switch (s) {
    case job_state::queued: return "queued";
    case job_state::running: return "running";
    case job_state::succeeded: return "succeeded";
    case job_state::failed: return "failed";
    case job_state::cancelled: return "cancelled";
  }
  return "failed";
}

std::optional<job_state> parse_job_state(const std::string& name) {
  for (auto s : {job_state::queued, job_state::running, job_state::succeeded, job_state::failed,
                 job_state::cancelled})
    if (name == to_string(s))
      return s;
  return std::nullopt;
}

std::string frame_json_text(const json& x) {
  return x.dump(-1, ' ', false, json::error_handler_t::replace);
}

caf::error parse_frame_json(const std::string& text, json& out, const std::string& what) {
  out = json::parse(text, nullptr, false);
  if (out.is_discarded()) {
    out = nullptr;
    return make_error(ec::bad_request, what + " in the frame is not JSON");
  }
  return caf::none;
}

void to_json(json& j, const job_submitted& x) {
  j = {{"job", x.job}};
}

void to_json(json& j, const job_view& x) {
  j = {{"id", x.id},
       {"kind", x.kind},
       {"source", x.source},
       {"user", x.user},
       {"state", x.state},
       {"progress", {{"done", x.done}, {"total", x.total}}},
       {"error", x.error.empty() ? json(nullptr) : json(x.error)},
       {"attempts", x.attempts},
       {"options", x.options},
       {"submitted_ms", x.submitted_ms}};
  if (x.started_ms)
    j["started_ms"] = x.started_ms;
  if (x.finished_ms)
    j["finished_ms"] = x.finished_ms;
  if (!x.result.is_null())
    j["result"] = x.result;
  if (x.interrupted)
    j["interrupted"] = true;
}

void to_json(json& j, const schedule_view& x) {
  // Its ScheduleDefined event as the event's one codec writes it, and the
  // job it last submitted.
  ev::schedule_defined d;
  d.id = x.id;
  d.user = x.user;
  d.cron = x.cron;
  d.kind = x.kind;
  d.source = x.source;
  d.options = x.options;
  d.extra = x.extra;
  j = ev::to_json(d);
  if (!x.last_job.empty())
    j["last_job"] = x.last_job;
}

} // namespace almanac
