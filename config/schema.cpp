#include "config/settings.hpp"

namespace almanac::config {

// Every setting of a node. Keep descriptions to one line: --help prints them.
const std::vector<setting_spec>& schema() {
  using k = value_kind;
  static const std::vector<setting_spec> specs = {
    {"data_dir", k::string, "./data",
     "directory holding the event log, state stores and admin.token"},
    {"node.role", k::choice, "primary", "role of this node", 0, 0,
     {"primary", "standby"}},
    {"node.failed_linger_ms", k::uint, "1000",
     "after the root supervisor fails, how long /health reports failed before exit",
     0, 600000},
    {"http.listen", k::endpoint, "127.0.0.1:8080",
     "HOST:PORT the HTTP API listens on"},
    {"http.max_body_bytes", k::uint, "1048576",
     "largest accepted request body in bytes; larger bodies get 413", 1024,
     1073741824},
    {"http.request_timeout_ms", k::uint, "10000",
     "how long a request may wait for the actors behind it", 100, 600000},
    {"logging.level", k::choice, "info", "log level", 0, 0,
     {"trace", "debug", "info", "warn", "error", "off"}},
    {"scheduler.threads", k::uint, "0",
     "actor scheduler threads; 0 picks max(2, cores)", 0, 256},
    {"supervisor.max_restarts", k::uint, "5",
     "restarts a supervisor allows within supervisor.window_s before escalating",
     0, 10000},
    {"supervisor.window_s", k::uint, "60",
     "restart intensity window in seconds", 1, 86400},
    {"supervisor.backoff_initial_ms", k::uint, "100",
     "delay before the first restart; doubles per restart within the window",
     0, 600000},
    {"supervisor.backoff_max_ms", k::uint, "5000",
     "upper bound of the restart delay", 0, 3600000},
    {"shutdown.grace_ms", k::uint, "5000",
     "how long each actor may take to stop before it is killed", 10, 600000},
    {"enable_fault_injection", k::boolean, "false",
     "enable POST /api/v1/admin/actors/{name}/crash (testing only)"},
    {"eventlog.segment_bytes", k::uint, "134217728",
     "roll the event log to a new segment file past this size", 4096,
     17179869184ull},
    {"eventlog.fsync", k::choice, "always",
     "always: acknowledge after fdatasync; interval: after write, losing up to "
     "eventlog.fsync_interval_ms of acknowledged writes on power loss",
     0, 0, {"always", "interval"}},
    {"eventlog.fsync_interval_ms", k::uint, "50",
     "fdatasync period when eventlog.fsync = interval", 1, 60000},
    {"eventlog.max_batch_bytes", k::uint, "4194304",
     "group commit: largest batch written with one write and one fdatasync",
     4096, 1073741824},
    {"eventlog.max_batch_delay_us", k::uint, "0",
     "group commit: how long the writer waits to grow a batch", 0, 1000000},
    {"jobs.max_concurrent", k::uint, "4",
     "jobs (extraction, profiling, ...) running at once on this node", 1, 256},
    {"jobs.max_per_source", k::uint, "2",
     "jobs running at once against one source", 1, 256},
    {"jobs.max_attempts", k::uint, "3",
     "attempts of a job that crashes or loses its source before it is failed",
     1, 100},
    {"popularity.half_life_days", k::uint, "30",
     "half-life of query and view counts in popularity scores, in days", 1, 3650},
    {"compose.allow_viewers", k::boolean, "false",
     "let viewers run read-only SQL through Compose (stewards always can)"},
  };
  return specs;
}

} // namespace almanac::config
