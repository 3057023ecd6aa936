#pragma once

// The job pool (the seed system's Celery/Taskserver role). Jobs run on
// detached blocking workers (database clients never run on the shared
// scheduler) within concurrency limits in total and per source; a worker
// that crashes, or whose source is unavailable, is retried with exponential
// backoff up to jobs.max_attempts, then the job fails with the error.
// Submissions, progress (at most once a second) and outcomes are events in
// the log, so subscribers see them on the event stream. At start the pool
// rebuilds its job list from those events (job_history.hpp): ids continue
// after the highest ever given, and jobs that were queued or running when
// the node stopped become failed with "interrupted" (a JobFinished event).
// A submission is answered once its JobSubmitted event is durable.

#include "actors/catalog/catalog_projection.hpp"
#include "actors/sources/secrets.hpp"
#include "config/settings.hpp"
#include "runtime/supervisor.hpp"

#include <caf/fwd.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>

namespace almanac::jobs {

/// What a running job can use.
struct job_env {
  caf::blocking_actor* self;            ///< For requests to other actors.
  runtime::actor_registry* registry;
  std::shared_ptr<catalog::catalog_projection> catalog;
  std::shared_ptr<sources::secret_store> secrets;
  std::string id;
  std::string source;                   ///< Source name.
  nlohmann::json options;
  std::string user;
  const std::atomic<bool>* cancel;      ///< Set when the job is cancelled.
  std::function<void(uint64_t, uint64_t)> progress;
  /// Registers the connector's cancel() for the duration of a query.
  std::function<void(std::function<void()>)> on_cancel;
};

/// A kind of job: runs to completion, returns its result as JSON.
using job_fn = std::function<caf::expected<nlohmann::json>(job_env&)>;

/// Everything the pool needs.
struct jobs_config {
  std::map<std::string, job_fn> kinds;
  std::shared_ptr<catalog::catalog_projection> catalog;
  std::shared_ptr<sources::secret_store> secrets;
  uint64_t max_concurrent = 4;
  uint64_t max_per_source = 2;
  uint64_t max_attempts = 3;
};

/// The child spec of the job pool named "jobs".
runtime::child_spec jobs_child(jobs_config cfg);

} // namespace almanac::jobs
