#include "actors/jobs/job_connect.hpp"
#include "actors/extraction/extract_job.hpp"

#include "messages/urn.hpp"
#include "actors/catalog/domain/sync.hpp"
#include "actors/sources/source_config.hpp"
#include "messages/actors.hpp"
#include "messages/error.hpp"

#include <caf/all.hpp>

namespace almanac::extraction {

using nlohmann::json;

caf::expected<json> run_extract(jobs::job_env& env) {
  auto conn = jobs::connect_for_job(env);
  if (!conn)
    return conn.error();
  connectors::extract_options opts;
  std::vector<std::string> scope;
  if (env.options.contains("tables") && env.options["tables"].is_array())
    for (auto& t : env.options["tables"])
      if (t.is_string())
        opts.tables.push_back(t.get<std::string>());
  auto snap = (*conn)->extract(opts, env.progress, *env.cancel);
  if (!snap)
    return snap.error();
  auto desired = catalog::desired_from(env.source, *snap);
  // A limited run compares (and may remove) exactly the tables it names.
  for (auto& t : opts.tables) {
    auto dot = t.find('.');
    if (dot == std::string::npos)
      return make_error(ec::invalid_argument,
                        "tables must be given as schema.table, not '" + t + "'");
    std::vector<std::string> names{env.source, t.substr(0, dot), t.substr(dot + 1)};
    for (auto kind : {catalog::entity_kind::table, catalog::entity_kind::view})
      if (auto u = catalog::make_urn(kind, names))
        scope.push_back(*u);
  }
  if (*env.cancel)
    return make_error(ec::cancelled, "extraction cancelled");
  auto cat = env.registry->find(names::catalog);
  if (!cat)
    return make_error(ec::unavailable, "the catalog is restarting");
  caf::expected<json> result = make_error(ec::unavailable, "no answer");
  env.self
    ->request(cat, std::chrono::seconds(300), atom::sync::value,
              sources::source_urn(env.source), desired, scope, env.user)
    .receive(
      [&](const sync_reply& r) {
        result = json{{"source", r.source}, {"added", r.added}, {"changed", r.changed},
                      {"removed", r.removed}, {"events", r.events}, {"offset", r.offset},
                      {"objects", desired.size()}};
      },
      [&](caf::error& err) { result = err; });
  return result;
}

} // namespace almanac::extraction
