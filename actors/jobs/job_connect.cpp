#include "actors/jobs/job_connect.hpp"

#include "actors/sources/source_config.hpp"

namespace almanac::jobs {

caf::expected<std::unique_ptr<connectors::connector>>
connect_for_job(job_env& env, connectors::source_config* cfg) {
  auto conn = sources::connect_source(*env.catalog, *env.secrets, env.source, cfg);
  if (conn) {
    auto* c = conn->get();
    env.on_cancel([c] { c->cancel(); });
  }
  return conn;
}

} // namespace almanac::jobs
