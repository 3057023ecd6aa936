#include "actors/jobs/jobs.hpp"

#include "actors/jobs/job_history.hpp"
#include "actors/jobs/jobs_behavior.hpp"
#include "messages/actors.hpp"
#include "messages/error.hpp"
#include "messages/time.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <deque>
#include <mutex>

namespace almanac::jobs {

using nlohmann::json;
using namespace std::chrono_literals;

namespace {

/// Waits until the catalog projection has applied every event the log held
/// when the job started: a job reads the catalog (the tables to profile,
/// the objects an incremental extraction compares), and must see every
/// write acknowledged before it, an extraction that just finished included.
/// Fails as unavailable (the attempt is retried) if that takes a minute.
caf::error catalog_current(job_env& env) {
  auto log = env.registry->find(names::eventlog);
  auto cat = env.registry->find(names::catalog_state);
  if (!log || !cat)
    return make_error(ec::unavailable, "the catalog is restarting");
  caf::error err;
  uint64_t end = 0;
  env.self->request(log, std::chrono::seconds(10), caf::get_atom::value, atom::end::value)
    .receive([&](uint64_t e) { end = e; }, [&](caf::error& e) { err = std::move(e); });
  if (!err)
    env.self->request(cat, std::chrono::seconds(61), atom::wait::value, end, uint64_t{60000})
      .receive([](uint64_t) {}, [&](caf::error& e) { err = std::move(e); });
  return err;
}

} // namespace

void cancel_token::cancel() {
  flag = true;
  std::function<void()> h;
  {
    std::lock_guard<std::mutex> guard{mtx};
    h = hook;
  }
  if (h)
    h();
}

jobs_state::~jobs_state() {
  for (auto& [id, j] : jobs)
    if (j.state == job_state::running)
      j.cancel->cancel();
}

void jobs_state::count() {
  metrics->processed.fetch_add(1, std::memory_order_relaxed);
  metrics->mailbox.store(queue.size());
}

void jobs_state::record(event_input e) {
  record(std::move(e), nullptr);
}

void jobs_state::record(event_input e, std::function<void()> done) {
  auto log = registry->find(names::eventlog);
  if (!log) {
    if (done)
      done();
    return;
  }
  std::vector<event_input> evs{std::move(e)};
  self->request(log, 30s, atom::append::value, std::move(evs))
    .then([done](append_ack&) {
            if (done)
              done();
          },
          [done](caf::error& err) {
            spdlog::warn("[jobs] an event was not recorded: {}", render(err));
            if (done)
              done();
          });
}

void jobs_state::recover() {
  history = job_history{};
  auto log = registry->find(names::eventlog);
  if (!log)
    return retry_recovery("the event log is not running");
  self->request(log, 60s, caf::get_atom::value, atom::end::value)
    .then(
      [this](uint64_t end) {
        recover_end = end;
        read_log(0);
      },
      [this](caf::error& err) { retry_recovery(render(err)); });
}

void jobs_state::retry_recovery(const std::string& why) {
  spdlog::warn("[jobs] cannot read the jobs of the log yet ({}); retrying", why);
  self->delayed_send(self, 200ms, atom::tick::value);
}

void jobs_state::read_log(uint64_t from) {
  if (from >= recover_end)
    return recovered();
  auto log = registry->find(names::eventlog);
  if (!log)
    return retry_recovery("the event log is not running");
  self->request(log, 60s, atom::read::value, from, uint64_t{4096})
    .then(
      [this](std::vector<event_record>& recs) {
        if (recs.empty())
          return recovered();
        for (auto& r : recs)
          history.apply(r);
        read_log(recs.back().offset + 1);
      },
      [this](caf::error& err) { retry_recovery(render(err)); });
}

void jobs_state::recovered() {
  auto interrupted = history.interrupt_active(now_ms());
  next_id = std::max(next_id, history.next_number());
  for (auto& [id, info] : history.jobs()) {
    job j;
    static_cast<job_info&>(j) = std::move(info);
    jobs.emplace(id, std::move(j));
  }
  history = job_history{};
  for (auto& id : interrupted) {
    auto& j = jobs.at(id);
    spdlog::warn("[jobs] {} {} on {}: {}", j.kind, j.id, j.source, j.error);
    record(finished_event(j));
  }
  spdlog::info("[jobs] {} jobs known from the log ({} interrupted); the next is {}",
               jobs.size(), interrupted.size(), job_id(next_id));
  ready = true;
  auto waiting = std::move(deferred);
  deferred.clear();
  for (auto& f : waiting)
    f();
}

void jobs_state::submit(promise<job_submitted> rp, const std::string& kind,
                        const std::string& source, json options, const std::string& user) {
  if (!cfg.kinds.count(kind)) {
    rp.deliver(make_error(ec::invalid_argument, "unknown job kind '" + kind + "'"));
    return;
  }
  auto log = registry->find(names::eventlog);
  if (!log) {
    rp.deliver(make_error(ec::unavailable, "the event log is restarting; try again"));
    return;
  }
  job j;
  j.id = job_id(next_id++);
  j.kind = kind;
  j.source = source;
  j.user = user;
  j.options = std::move(options);
  j.submitted_ms = now_ms();
  std::vector<event_input> evs{submitted_event(j)};
  self->request(log, 30s, atom::append::value, std::move(evs))
    .then(
      [this, rp, j](append_ack&) mutable {
        auto id = j.id;
        jobs.emplace(id, std::move(j));
        queue.push_back(id);
        dispatch();
        rp.deliver(job_submitted{id});
      },
      [rp](caf::error& err) mutable {
        rp.deliver(make_error(ec::unavailable, "the job could not be recorded: "
                                                 + render(err)));
      });
}

caf::expected<job_view> jobs_state::get(const std::string& id) const {
  auto i = jobs.find(id);
  if (i == jobs.end())
    return make_error(ec::not_found, "no job " + id);
  return static_cast<const job_view&>(i->second);
}

std::vector<job_view> jobs_state::list() const {
  std::vector<job_view> out;
  out.reserve(jobs.size());
  for (auto i = jobs.rbegin(); i != jobs.rend(); ++i)
    out.push_back(static_cast<const job_view&>(i->second));
  return out;
}

void jobs_state::cancel(promise<job_view> rp, const std::string& id) {
  auto i = jobs.find(id);
  if (i == jobs.end()) {
    rp.deliver(make_error(ec::not_found, "no job " + id));
    return;
  }
  auto& j = i->second;
  if (!j.finishing && j.state == job_state::queued) {
    j.cancel->cancel();
    finish(j, job_state::cancelled, "", nullptr, [this, rp, id]() mutable {
      rp.deliver(static_cast<const job_view&>(jobs.at(id)));
    });
    return;
  }
  if (!j.finishing && j.state == job_state::running)
    j.cancel->cancel(); // the worker reports cancelled when it stops
  rp.deliver(static_cast<const job_view&>(j));
}

size_t jobs_state::running_total() const {
  size_t n = 0;
  for (auto& [id, j] : jobs)
    n += j.state == job_state::running ? 1 : 0;
  return n;
}

size_t jobs_state::running_for(const std::string& source) const {
  size_t n = 0;
  for (auto& [id, j] : jobs)
    n += j.state == job_state::running && j.source == source ? 1 : 0;
  return n;
}

void jobs_state::dispatch() {
  for (auto i = queue.begin(); i != queue.end();) {
    if (running_total() >= cfg.max_concurrent)
      return;
    auto& j = jobs.at(*i);
    if (j.state != job_state::queued || j.waiting_retry || j.finishing) {
      if (j.state != job_state::queued)
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

void jobs_state::start(job& j) {
  j.state = job_state::running;
  ++j.attempts;
  if (!j.started_ms)
    j.started_ms = now_ms();
  auto started = progressed_event(j);
  started.attempt = j.attempts;
  record(ev::to_event(started, "job:" + j.id));
  auto fn = cfg.kinds.at(j.kind);
  auto pool = caf::actor_cast<jobs_actor>(self);
  auto id = j.id;
  job_env env{nullptr, registry, cfg.catalog, cfg.secrets, id, j.source,
              j.options, j.user, &j.cancel->flag, nullptr, nullptr};
  auto token = j.cancel;
  auto run = [fn, env, pool, token](caf::blocking_actor* me) mutable {
    env.self = me;
    env.cancel = &token->flag;
    env.progress = [me, pool, id = env.id](uint64_t done, uint64_t total) {
      me->send(pool, atom::progress::value, id, done, total);
    };
    env.on_cancel = [token](std::function<void()> hook) {
      std::lock_guard<std::mutex> guard{token->mtx};
      token->hook = std::move(hook);
    };
    auto stale = catalog_current(env);
    auto res = stale ? caf::expected<nlohmann::json>{stale} : fn(env);
    {
      std::lock_guard<std::mutex> guard{token->mtx};
      token->hook = nullptr;
    }
    if (res)
      me->send(pool, atom::finished::value, env.id, job_result{std::move(*res)});
    else
      me->send(pool, atom::finished::value, env.id, res.error());
  };
  j.worker = spawn_worker ? spawn_worker(id, std::move(run))
                          : self->system().spawn(std::move(run));
  self->monitor(j.worker);
  spdlog::info("[jobs] {} {} on {} started (attempt {})", j.kind, j.id,
               j.source, j.attempts);
}

void jobs_state::finish(job& j, job_state state, const std::string& error,
                        json result, std::function<void()> then) {
  j.worker = nullptr;
  j.finishing = true;
  job_info done = j;
  done.state = state;
  done.error = error;
  done.result = std::move(result);
  done.finished_ms = now_ms();
  spdlog::info("[jobs] {} {} {}{}", j.kind, j.id, to_string(state),
               error.empty() ? "" : ": " + error);
  // Shown finished once the log holds its JobFinished; a running job keeps
  // its slot until then.
  auto ev = finished_event(done);
  record(std::move(ev), [this, done = std::move(done), then = std::move(then)]() mutable {
    auto i = jobs.find(done.id);
    if (i == jobs.end())
      return;
    auto& k = i->second;
    k.state = done.state;
    k.error = std::move(done.error);
    k.result = std::move(done.result);
    k.finished_ms = done.finished_ms;
    k.finishing = false;
    if (then)
      then();
    dispatch();
  });
}

void jobs_state::retry_or_fail(job& j, const std::string& error) {
  j.worker = nullptr;
  if (j.cancel->flag) {
    finish(j, job_state::cancelled, "", nullptr);
    return;
  }
  if (j.attempts >= cfg.max_attempts) {
    finish(j, job_state::failed, error + " (after " + std::to_string(j.attempts)
                          + " attempts)", nullptr);
    return;
  }
  auto delay = std::chrono::milliseconds(200) * (1 << (j.attempts - 1));
  spdlog::warn("[jobs] {} {} attempt {} failed ({}); retrying in {} ms",
               j.kind, j.id, j.attempts, error, delay.count());
  j.state = job_state::queued;
  j.error = error;
  j.waiting_retry = true;
  queue.push_back(j.id);
  self->delayed_send(self, delay, atom::start::value, j.id);
  dispatch();
}

jobs_actor::behavior_type jobs_impl(jobs_actor::stateful_pointer<jobs_state> self,
                                    jobs_config cfg,
                                    std::shared_ptr<runtime::actor_metrics> metrics,
                                    runtime::actor_registry* registry,
                                    worker_spawner spawn_worker) {
  auto& st = self->state;
  st.self = self;
  st.cfg = std::move(cfg);
  st.metrics = std::move(metrics);
  st.registry = registry;
  st.spawn_worker = std::move(spawn_worker);
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& st = self->state;
    for (auto& [id, j] : st.jobs)
      if (j.worker && j.worker.address() == dm.source && j.state == job_state::running) {
        // The worker ended without reporting: it crashed.
        st.retry_or_fail(j, "worker crashed: " + render(dm.reason));
        return;
      }
  });
  st.recover();
  return {
    [self](atom::submit, const std::string& kind, const std::string& source,
           json_body& options, const std::string& user) -> caf::result<job_submitted> {
      auto& st = self->state;
      st.count();
      return st.when_ready<job_submitted>(
        [&st, kind, source, opts = std::move(options.value),
         user](jobs_state::promise<job_submitted>& rp) {
          st.submit(rp, kind, source, opts, user);
        });
    },
    [self](caf::get_atom, const std::string& id) -> caf::result<job_view> {
      auto& st = self->state;
      st.count();
      return st.when_ready<job_view>([&st, id](jobs_state::promise<job_view>& rp) {
        jobs_state::deliver(rp, st.get(id));
      });
    },
    [self](caf::get_atom, atom::jobs) -> caf::result<std::vector<job_view>> {
      auto& st = self->state;
      st.count();
      return st.when_ready<std::vector<job_view>>(
        [&st](jobs_state::promise<std::vector<job_view>>& rp) { rp.deliver(st.list()); });
    },
    [self](atom::cancel, const std::string& id) -> caf::result<job_view> {
      auto& st = self->state;
      st.count();
      return st.when_ready<job_view>(
        [&st, id](jobs_state::promise<job_view>& rp) { st.cancel(rp, id); });
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
        auto progress = progressed_event(i->second);
        progress.done = done;
        progress.total = total;
        st.record(ev::to_event(progress, "job:" + id));
      }
    },
    [self](atom::finished, const std::string& id, job_result& result) {
      auto& st = self->state;
      st.count();
      auto i = st.jobs.find(id);
      if (i == st.jobs.end() || i->second.state != job_state::running || i->second.finishing)
        return;
      st.finish(i->second, job_state::succeeded, "", std::move(result.value));
    },
    [self](atom::finished, const std::string& id, const caf::error& err) {
      auto& st = self->state;
      st.count();
      auto i = st.jobs.find(id);
      if (i == st.jobs.end() || i->second.state != job_state::running || i->second.finishing)
        return;
      auto& j = i->second;
      if (code_of(err) == ec::cancelled || j.cancel->flag)
        st.finish(j, job_state::cancelled, "", nullptr);
      else if (code_of(err) == ec::unavailable || code_of(err) == ec::timeout)
        st.retry_or_fail(j, render(err));
      else
        st.finish(j, job_state::failed, render(err), nullptr);
    },
    [self](atom::tick) { self->state.recover(); },
    [self](atom::start, const std::string& id) {
      auto& st = self->state;
      auto i = st.jobs.find(id);
      if (i != st.jobs.end())
        i->second.waiting_retry = false;
      st.dispatch();
    },
  };
}

runtime::child_spec jobs_child(jobs_config cfg) {
  return {"jobs", [cfg](const runtime::child_context& ctx) {
            auto h = ctx.system->spawn(jobs_impl, cfg, ctx.metrics, ctx.registry,
                                       worker_spawner{});
            return caf::actor_cast<caf::actor>(h);
          }};
}

} // namespace almanac::jobs
