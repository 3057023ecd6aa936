#include "actors/jobs/jobs.hpp"

#include "messages/actors.hpp"
#include "messages/error.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <deque>
#include <mutex>

namespace almanac::jobs {

namespace {

using nlohmann::json;
using namespace std::chrono_literals;

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

/// Cancellation shared between the pool and a worker.
struct cancel_token {
  std::atomic<bool> flag{false};
  std::mutex mtx;
  std::function<void()> hook; ///< Cancels the query running now, if any.

  void cancel() {
    flag = true;
    std::function<void()> h;
    {
      std::lock_guard<std::mutex> guard{mtx};
      h = hook;
    }
    if (h)
      h();
  }
};

struct job {
  std::string id;
  std::string kind;
  std::string source;
  std::string user;
  json options;
  std::string state = "queued"; // queued, running, succeeded, failed, cancelled
  uint64_t done = 0;
  uint64_t total = 0;
  std::string error;
  json result;
  uint64_t attempts = 0;
  int64_t submitted_ms = 0;
  int64_t started_ms = 0;
  int64_t finished_ms = 0;
  int64_t progress_event_ms = 0;
  std::shared_ptr<cancel_token> cancel = std::make_shared<cancel_token>();
  caf::actor worker;
  bool waiting_retry = false;

  json to_json() const {
    json j{{"id", id},           {"kind", kind},     {"source", source},
           {"user", user},       {"state", state},   {"progress", {{"done", done}, {"total", total}}},
           {"error", error.empty() ? json(nullptr) : json(error)},
           {"attempts", attempts}, {"options", options},
           {"submitted_ms", submitted_ms}};
    if (started_ms)
      j["started_ms"] = started_ms;
    if (finished_ms)
      j["finished_ms"] = finished_ms;
    if (!result.is_null())
      j["result"] = result;
    return j;
  }
};

struct jobs_state {
  static constexpr const char* name = "jobs";
  jobs_actor::stateful_pointer<jobs_state> self = nullptr;
  jobs_config cfg;
  std::shared_ptr<runtime::actor_metrics> metrics;
  runtime::actor_registry* registry = nullptr;
  uint64_t next_id = 1;
  std::map<std::string, job> jobs;
  std::deque<std::string> queue;

  // Running workers are told to stop (they are blocking actors the system
  // would otherwise wait for).
  ~jobs_state() {
    for (auto& [id, j] : jobs)
      if (j.state == "running")
        j.cancel->cancel();
  }

  void count() {
    metrics->processed.fetch_add(1, std::memory_order_relaxed);
    metrics->mailbox.store(queue.size());
  }

  // Records an event about a job (fire and forget: the pool keeps working
  // even if the log is restarting).
  void record(const std::string& type, const job& j, json extra = json::object()) {
    auto log = caf::actor_cast<event_log_actor>(registry->handle("eventlog"));
    if (!log)
      return;
    json payload{{"job", j.id}, {"kind", j.kind}, {"source", j.source},
                 {"user", j.user}, {"state", j.state}};
    for (auto& [k, v] : extra.items())
      payload[k] = v;
    std::vector<event_input> evs{{event_tag(type), "job:" + j.id, payload.dump()}};
    self->request(log, 30s, atom::append::value, std::move(evs))
      .then([](append_ack&) {}, [](caf::error&) {});
  }

  size_t running_total() const {
    size_t n = 0;
    for (auto& [id, j] : jobs)
      n += j.state == "running" ? 1 : 0;
    return n;
  }

  size_t running_for(const std::string& source) const {
    size_t n = 0;
    for (auto& [id, j] : jobs)
      n += j.state == "running" && j.source == source ? 1 : 0;
    return n;
  }

  // Starts queued jobs while the limits allow.
  void dispatch() {
    for (auto i = queue.begin(); i != queue.end();) {
      if (running_total() >= cfg.max_concurrent)
        return;
      auto& j = jobs.at(*i);
      if (j.state != "queued" || j.waiting_retry) {
        if (j.state != "queued")
          i = queue.erase(i);
        else
          ++i;
        continue;
      }
      if (running_for(j.source) >= cfg.max_per_source) {
        ++i;
        continue;
      }
      i = queue.erase(i);
      start(j);
    }
  }

  void start(job& j) {
    j.state = "running";
    ++j.attempts;
    if (!j.started_ms)
      j.started_ms = now_ms();
    record("JobProgressed", j, {{"attempt", j.attempts}});
    auto fn = cfg.kinds.at(j.kind);
    auto pool = caf::actor_cast<jobs_actor>(self);
    auto id = j.id;
    job_env env{nullptr, registry, cfg.catalog, cfg.secrets, id, j.source,
                j.options, j.user, &j.cancel->flag, nullptr, nullptr};
    auto token = j.cancel;
    j.worker = self->system().spawn([fn, env, pool, token](caf::blocking_actor* me) mutable {
      env.self = me;
      env.cancel = &token->flag;
      env.progress = [me, pool, id = env.id](uint64_t done, uint64_t total) {
        me->send(pool, atom::progress::value, id, done, total);
      };
      env.on_cancel = [token](std::function<void()> hook) {
        std::lock_guard<std::mutex> guard{token->mtx};
        token->hook = std::move(hook);
      };
      auto res = fn(env);
      {
        std::lock_guard<std::mutex> guard{token->mtx};
        token->hook = nullptr;
      }
      if (res)
        me->send(pool, atom::finished::value, env.id, res->dump());
      else
        me->send(pool, atom::finished::value, env.id, res.error());
    });
    self->monitor(j.worker);
    spdlog::info("[jobs] {} {} on {} started (attempt {})", j.kind, j.id,
                 j.source, j.attempts);
  }

  void finish(job& j, const std::string& state, const std::string& error,
              json result) {
    j.state = state;
    j.error = error;
    j.result = std::move(result);
    j.finished_ms = now_ms();
    j.worker = nullptr;
    json extra{{"done", j.done}, {"total", j.total}, {"attempts", j.attempts}};
    if (!error.empty())
      extra["error"] = error;
    if (!j.result.is_null())
      extra["result"] = j.result;
    record("JobFinished", j, extra);
    spdlog::info("[jobs] {} {} {}{}", j.kind, j.id, state,
                 error.empty() ? "" : ": " + error);
    dispatch();
  }

  // A crash or a transient failure: retry with backoff, or fail.
  void retry_or_fail(job& j, const std::string& error) {
    j.worker = nullptr;
    if (j.cancel->flag) {
      finish(j, "cancelled", "", nullptr);
      return;
    }
    if (j.attempts >= cfg.max_attempts) {
      finish(j, "failed", error + " (after " + std::to_string(j.attempts)
                            + " attempts)", nullptr);
      return;
    }
    auto delay = std::chrono::milliseconds(200) * (1 << (j.attempts - 1));
    spdlog::warn("[jobs] {} {} attempt {} failed ({}); retrying in {} ms",
                 j.kind, j.id, j.attempts, error, delay.count());
    j.state = "queued";
    j.error = error;
    j.waiting_retry = true;
    queue.push_back(j.id);
    self->delayed_send(self, delay, atom::start::value, j.id);
    dispatch();
  }
};

jobs_actor::behavior_type jobs_impl(jobs_actor::stateful_pointer<jobs_state> self,
                                    jobs_config cfg,
                                    std::shared_ptr<runtime::actor_metrics> metrics,
                                    runtime::actor_registry* registry) {
  auto& st = self->state;
  st.self = self;
  st.cfg = std::move(cfg);
  st.metrics = std::move(metrics);
  st.registry = registry;
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& st = self->state;
    for (auto& [id, j] : st.jobs)
      if (j.worker && j.worker.address() == dm.source && j.state == "running") {
        // The worker ended without reporting: it crashed.
        st.retry_or_fail(j, "worker crashed: " + render(dm.reason));
        return;
      }
  });
  return {
    [self](atom::submit, const std::string& kind, const std::string& source,
           const std::string& options, const std::string& user)
      -> caf::result<std::string> {
      auto& st = self->state;
      st.count();
      if (!st.cfg.kinds.count(kind))
        return make_error(ec::invalid_argument, "unknown job kind '" + kind + "'");
      auto opts = json::parse(options, nullptr, false);
      if (opts.is_discarded())
        opts = json::object();
      char buf[32];
      std::snprintf(buf, sizeof(buf), "job-%06llu",
                    static_cast<unsigned long long>(st.next_id++));
      job j;
      j.id = buf;
      j.kind = kind;
      j.source = source;
      j.user = user;
      j.options = opts;
      j.submitted_ms = now_ms();
      st.record("JobSubmitted", j, {{"options", opts}});
      auto id = j.id;
      st.jobs.emplace(id, std::move(j));
      st.queue.push_back(id);
      st.dispatch();
      return json{{"job", id}}.dump();
    },
    [self](caf::get_atom, const std::string& id) -> caf::result<std::string> {
      auto& st = self->state;
      st.count();
      auto i = st.jobs.find(id);
      if (i == st.jobs.end())
        return make_error(ec::not_found, "no job " + id);
      return i->second.to_json().dump();
    },
    [self](caf::get_atom, atom::jobs) -> std::string {
      auto& st = self->state;
      st.count();
      auto arr = json::array();
      for (auto i = st.jobs.rbegin(); i != st.jobs.rend(); ++i)
        arr.push_back(i->second.to_json());
      return arr.dump();
    },
    [self](atom::cancel, const std::string& id) -> caf::result<std::string> {
      auto& st = self->state;
      st.count();
      auto i = st.jobs.find(id);
      if (i == st.jobs.end())
        return make_error(ec::not_found, "no job " + id);
      auto& j = i->second;
      if (j.state == "queued") {
        j.cancel->cancel();
        st.finish(j, "cancelled", "", nullptr);
      } else if (j.state == "running") {
        j.cancel->cancel(); // the worker reports cancelled when it stops
      }
      return j.to_json().dump();
    },
    [self](atom::progress, const std::string& id, uint64_t done, uint64_t total) {
      auto& st = self->state;
      st.count();
      auto i = st.jobs.find(id);
      if (i == st.jobs.end())
        return;
      i->second.done = done;
      i->second.total = total;
      auto now = now_ms();
      if (now - i->second.progress_event_ms >= 1000 || done == total) {
        i->second.progress_event_ms = now;
        st.record("JobProgressed", i->second, {{"done", done}, {"total", total}});
      }
    },
    [self](atom::finished, const std::string& id, const std::string& result) {
      auto& st = self->state;
      st.count();
      auto i = st.jobs.find(id);
      if (i == st.jobs.end() || i->second.state != "running")
        return;
      auto r = json::parse(result, nullptr, false);
      st.finish(i->second, "succeeded", "", r.is_discarded() ? json(result) : r);
    },
    [self](atom::finished, const std::string& id, const caf::error& err) {
      auto& st = self->state;
      st.count();
      auto i = st.jobs.find(id);
      if (i == st.jobs.end() || i->second.state != "running")
        return;
      auto& j = i->second;
      if (code_of(err) == ec::cancelled || j.cancel->flag)
        st.finish(j, "cancelled", "", nullptr);
      else if (code_of(err) == ec::unavailable || code_of(err) == ec::timeout)
        st.retry_or_fail(j, render(err));
      else
        st.finish(j, "failed", render(err), nullptr);
    },
    [self](atom::start, const std::string& id) {
      auto& st = self->state;
      auto i = st.jobs.find(id);
      if (i != st.jobs.end())
        i->second.waiting_retry = false;
      st.dispatch();
    },
  };
}

} // namespace

runtime::child_spec jobs_child(jobs_config cfg) {
  return {"jobs", [cfg](const runtime::child_context& ctx) {
            auto h = ctx.system->spawn(jobs_impl, cfg, ctx.metrics, ctx.registry);
            return caf::actor_cast<caf::actor>(h);
          }};
}

} // namespace almanac::jobs
