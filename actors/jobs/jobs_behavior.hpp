#pragma once

// The job pool's behaviour and state, for jobs.cpp (which spawns it) and for
// deterministic tests (which spawn it on CAF's test coordinator). CAF-heavy:
// include it nowhere else.

#include "actors/jobs/job_history.hpp"
#include "actors/jobs/jobs.hpp"
#include "messages/actors.hpp"
#include "runtime/actor_registry.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace almanac::jobs {

/// Starts the worker of one attempt of job `id`: a blocking actor running
/// `run`, which waits for a current catalog, runs the job and reports its
/// progress and outcome to the pool. Empty (production): the pool spawns
/// `run` itself. Blocking actors get threads of their own, which CAF's test
/// coordinator does not allow to send to it, so a test starts a stand-in on
/// the coordinator and reports for it. The pool monitors the handle: a worker
/// that ends without reporting crashed.
using worker_spawner = std::function<caf::actor(
  const std::string& id, std::function<void(caf::blocking_actor*)> run)>;

/// Cancellation shared between the pool and a worker.
struct cancel_token {
  std::atomic<bool> flag{false};
  std::mutex mtx;
  std::function<void()> hook; ///< Cancels the query running now, if any.

  void cancel();
};

/// A job of this pool: what the log knows, plus its worker.
struct job : job_info {
  int64_t progress_event_ms = 0;
  std::shared_ptr<cancel_token> cancel = std::make_shared<cancel_token>();
  caf::actor worker;
  bool waiting_retry = false;
  /// Finished, its JobFinished not yet acknowledged by the log: it still
  /// shows its old state (what a client sees never vanishes on a crash).
  bool finishing = false;
};

struct jobs_state {
  static constexpr const char* name = "jobs";
  jobs_actor::stateful_pointer<jobs_state> self = nullptr;
  jobs_config cfg;
  std::shared_ptr<runtime::actor_metrics> metrics;
  runtime::actor_registry* registry = nullptr;
  worker_spawner spawn_worker; ///< Empty: spawn() the worker's blocking actor.
  uint64_t next_id = 1;
  std::map<std::string, job> jobs;
  std::deque<std::string> queue;
  /// Whether the jobs of the log are known (requests wait until then).
  bool ready = false;
  std::vector<std::function<void()>> deferred;
  job_history history; ///< Filled while recovering.
  uint64_t recover_end = 0;

  /// Tells running workers to stop (they are blocking actors the system
  /// would otherwise wait for).
  ~jobs_state();

  void count();

  /// Records an event about a job (fire and forget: the pool keeps working
  /// even if the log is restarting).
  void record(event_input e);
  /// record(e), then `done` once the log answered (acknowledged or not).
  void record(event_input e, std::function<void()> done);

  template <class T>
  using promise = caf::typed_response_promise<T>;

  /// Calls `f(promise)` with a promise of a T now, or once the jobs of the
  /// log are known.
  template <class T, class F>
  caf::result<T> when_ready(F f) {
    auto rp = self->make_response_promise<T>();
    if (ready)
      f(rp);
    else
      deferred.push_back([rp, f]() mutable { f(rp); });
    return rp;
  }

  template <class T>
  static void deliver(promise<T>& rp, caf::expected<T> r) {
    if (r)
      rp.deliver(std::move(*r));
    else
      rp.deliver(std::move(r.error()));
  }

  /// Rebuilds the job list from the log's job events up to its end as of
  /// now, so that ids never repeat and earlier jobs stay listed; jobs that
  /// were queued or running when the pool stopped become failed
  /// (interrupted), recorded as JobFinished.
  void recover();
  void retry_recovery(const std::string& why);
  void read_log(uint64_t from);
  void recovered();

  /// Queues a job once its JobSubmitted event is durable, so that an id
  /// handed out is never handed out again after a crash.
  void submit(promise<job_submitted> rp, const std::string& kind, const std::string& source,
              nlohmann::json options, const std::string& user);

  caf::expected<job_view> get(const std::string& id) const;
  /// Every job, newest first.
  std::vector<job_view> list() const;
  /// Cancels job `id`: a queued one ends (answered once its JobFinished is
  /// in the log), a running one is asked to stop.
  void cancel(promise<job_view> rp, const std::string& id);

  size_t running_total() const;
  size_t running_for(const std::string& source) const;

  /// Starts queued jobs while the limits allow.
  void dispatch();

  /// Starts an attempt of `j` on a worker.
  void start(job& j);

  /// Ends `j` in `state` and records its JobFinished; the job shows its
  /// new state (and `then` runs) once the log acknowledged the event.
  void finish(job& j, job_state state, const std::string& error,
              nlohmann::json result, std::function<void()> then = nullptr);

  /// A crash or a transient failure: retry with backoff, or fail.
  void retry_or_fail(job& j, const std::string& error);
};

/// The behaviour of the actor "jobs": appends to and recovers from the
/// registry's current "eventlog"; starts workers with `spawn_worker` (empty:
/// detached blocking actors that wait for the registry's "catalog_state").
jobs_actor::behavior_type jobs_impl(jobs_actor::stateful_pointer<jobs_state> self,
                                    jobs_config cfg,
                                    std::shared_ptr<runtime::actor_metrics> metrics,
                                    runtime::actor_registry* registry,
                                    worker_spawner spawn_worker);

} // namespace almanac::jobs
