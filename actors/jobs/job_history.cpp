#include "actors/jobs/job_history.hpp"

#include <cstdio>

namespace almanac::jobs {

using nlohmann::json;

std::string job_id(uint64_t n) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "job-%06llu", static_cast<unsigned long long>(n));
  return buf;
}

std::optional<uint64_t> job_number(const std::string& id) {
  if (id.size() <= 4 || id.compare(0, 4, "job-") != 0 || id.size() > 4 + 18)
    return std::nullopt;
  uint64_t n = 0;
  for (size_t i = 4; i < id.size(); ++i) {
    if (id[i] < '0' || id[i] > '9')
      return std::nullopt;
    n = n * 10 + static_cast<uint64_t>(id[i] - '0');
  }
  return n;
}

namespace {

template <class Event>
Event about(const job_info& j) {
  Event e;
  e.job = j.id;
  e.kind = j.kind;
  e.source = j.source;
  e.user = j.user;
  e.state = to_string(j.state);
  return e;
}

} // namespace

event_input submitted_event(const job_info& j) {
  auto e = about<ev::job_submitted>(j);
  e.options = j.options.is_object() ? j.options : json::object();
  return ev::to_event(e, "job:" + j.id);
}

ev::job_progressed progressed_event(const job_info& j) {
  return about<ev::job_progressed>(j);
}

event_input finished_event(const job_info& j) {
  auto e = about<ev::job_finished>(j);
  e.done = j.done;
  e.total = j.total;
  e.attempts = j.attempts;
  if (!j.error.empty())
    e.error = j.error;
  if (!j.result.is_null())
    e.result = j.result;
  if (j.interrupted)
    e.interrupted = true;
  return ev::to_event(e, "job:" + j.id);
}

job_info* job_history::find_or_add(const ev::job_ref& ref, int64_t ms) {
  auto number = job_number(ref.job);
  if (!number)
    return nullptr;
  next_ = std::max(next_, *number + 1);
  auto it = jobs_.find(ref.job);
  if (it == jobs_.end()) {
    // Progress of a job whose submission is missing still names the job.
    it = jobs_.emplace(ref.job, job_info{}).first;
    it->second.id = ref.job;
    it->second.submitted_ms = ms;
  }
  auto& j = it->second;
  for (auto [field, value] : {std::pair{&j.kind, &ref.kind}, std::pair{&j.source, &ref.source},
                              std::pair{&j.user, &ref.user}})
    if (!value->empty())
      *field = *value;
  return &j;
}

void job_history::apply(const event_record& rec) {
  if (ev::is<ev::job_submitted>(rec.type)) {
    auto e = ev::decode<ev::job_submitted>(rec.payload);
    auto* j = e ? find_or_add(*e, rec.timestamp_ms) : nullptr;
    if (!j)
      return;
    j->submitted_ms = rec.timestamp_ms;
    j->state = job_state::queued;
    j->options = e->options;
  } else if (ev::is<ev::job_progressed>(rec.type)) {
    auto e = ev::decode<ev::job_progressed>(rec.payload);
    auto* j = e ? find_or_add(*e, rec.timestamp_ms) : nullptr;
    if (!j || !j->active())
      return; // malformed, or a late progress report of a finished job
    j->state = job_state::running;
    if (e->attempt) {
      j->attempts = *e->attempt;
      if (!j->started_ms)
        j->started_ms = rec.timestamp_ms;
    }
    j->done = e->done.value_or(j->done);
    j->total = e->total.value_or(j->total);
  } else if (ev::is<ev::job_finished>(rec.type)) {
    auto e = ev::decode<ev::job_finished>(rec.payload);
    auto* j = e ? find_or_add(*e, rec.timestamp_ms) : nullptr;
    if (!j)
      return;
    auto ended = parse_job_state(e->state);
    j->state = ended ? *ended : job_state::failed;
    if (j->active()) // a finish event says it ended
      j->state = job_state::failed;
    j->done = e->done;
    j->total = e->total;
    j->attempts = e->attempts;
    j->error = e->error.value_or("");
    j->result = e->result.value_or(json(nullptr));
    j->interrupted = e->interrupted.value_or(false);
    j->finished_ms = rec.timestamp_ms;
  }
}

std::string interrupted_error(const job_info& j) {
  return "interrupted: the node (or its job pool) stopped while the job was "
         + std::string{j.state == job_state::running ? "running" : "queued"}
         + (j.attempts ? " (attempt " + std::to_string(j.attempts) + ")" : std::string{})
         + "; submit it again";
}

std::vector<std::string> job_history::interrupt_active(int64_t now_ms) {
  std::vector<std::string> ids;
  for (auto& [id, j] : jobs_) {
    if (!j.active())
      continue;
    j.error = interrupted_error(j);
    j.state = job_state::failed;
    j.interrupted = true;
    j.finished_ms = now_ms;
    ids.push_back(id);
  }
  return ids;
}

} // namespace almanac::jobs
