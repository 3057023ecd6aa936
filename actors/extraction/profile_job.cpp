#include "actors/jobs/job_connect.hpp"
#include "actors/extraction/profile_job.hpp"
#include "messages/time.hpp"

#include "actors/catalog/domain/commands.hpp"
#include "messages/urn.hpp"
#include "actors/profiling/table_profiler.hpp"
#include "actors/sources/source_config.hpp"
#include "messages/actors.hpp"
#include "messages/error.hpp"

#include <caf/all.hpp>

#include <chrono>
#include <set>

namespace almanac::extraction {

using nlohmann::json;

namespace {

// The current entities directly below `urn`.
caf::expected<std::vector<json>> children_of(const catalog::catalog_projection& cat,
                                             const std::string& urn) {
  std::vector<json> out;
  auto kids = cat.children(urn);
  if (!kids)
    return kids.error();
  for (auto& k : *kids) {
    auto e = cat.entity(k);
    if (!e)
      return e.error();
    if (*e)
      out.push_back(std::move(**e));
  }
  return out;
}

// The tables and materialized views below a source, from the catalog.
caf::expected<std::vector<json>> tables_of(const catalog::catalog_projection& cat,
                                           const std::string& source_urn) {
  std::vector<json> out;
  auto schemas = cat.children(source_urn);
  if (!schemas)
    return schemas.error();
  for (auto& s : *schemas) {
    auto rels = children_of(cat, s);
    if (!rels)
      return rels.error();
    for (auto& r : *rels) {
      auto type = r.value("attributes", json::object()).value("table_type", std::string{});
      if (type == "table" || type == "partitioned_table" || type == "materialized_view")
        out.push_back(std::move(r));
    }
  }
  return out;
}

// The columns of `table_urn` whose raw values an admin allowed in profiles.
caf::expected<std::set<std::string>> raw_value_columns(const catalog::catalog_projection& cat,
                                                       const std::string& table_urn) {
  auto columns = children_of(cat, table_urn);
  if (!columns)
    return columns.error();
  std::set<std::string> out;
  for (auto& c : *columns)
    if (c.value("attributes", json::object()).value(catalog::raw_values_field, false))
      out.insert(c.value("name", std::string{}));
  return out;
}

// Whether a stored profile has the statistics of `fresh` (its computation
// time aside).
bool same_statistics(json stored, const json& fresh) {
  if (!stored.is_object())
    return false;
  stored.erase("computed_ms");
  return stored == fresh;
}

caf::expected<json> ask_catalog(jobs::job_env& env, const std::string& urn,
                                const json& attrs) {
  auto cat = env.registry->find(names::catalog);
  if (!cat)
    return make_error(ec::unavailable, "the catalog is restarting");
  caf::expected<json> result = make_error(ec::unavailable, "no answer");
  env.self->request(cat, std::chrono::seconds(60), atom::attributes::value, urn,
                    json_body{attrs}, env.user)
    .receive([&](const edit_reply& r) { result = json(r); },
             [&](caf::error& err) { result = err; });
  return result;
}

} // namespace

caf::expected<json> run_profile(jobs::job_env& env) {
  connectors::source_config cfg;
  auto conn = jobs::connect_for_job(env, &cfg);
  if (!conn)
    return conn.error();
  auto* c = conn->get();
  auto all = tables_of(*env.catalog, sources::source_urn(env.source));
  if (!all)
    return all.error();
  std::vector<json> tables;
  if (env.options.contains("tables")) {
    for (auto& want : env.options["tables"]) {
      auto name = want.get<std::string>();
      auto found = std::find_if(all->begin(), all->end(), [&](const json& t) {
        auto urn = t.value("urn", std::string{});
        return urn.size() > name.size()
               && urn.compare(urn.size() - name.size(), name.size(), name) == 0
               && urn[urn.size() - name.size() - 1] == '.';
      });
      if (found == all->end())
        return make_error(ec::not_found, "no table " + name + " in source "
                                           + env.source + " (extract it first)");
      tables.push_back(*found);
    }
  } else {
    tables = std::move(*all);
  }
  profiling::profile_options opts;
  opts.full = env.options.value("full", false);
  if (env.options.contains("sample_rows"))
    opts.sample_size = env.options["sample_rows"].get<uint64_t>();
  opts.dialect = cfg.kind == "postgresql" ? profiling::sql_dialect::postgresql
                                           : profiling::sql_dialect::sqlite;
  uint64_t columns = 0;
  uint64_t unchanged = 0;
  uint64_t last_offset = 0;
  auto skipped = json::array();
  for (size_t i = 0; i < tables.size(); ++i) {
    if (*env.cancel)
      return make_error(ec::cancelled, "profiling cancelled");
    auto& t = tables[i];
    auto attrs = t.value("attributes", json::object());
    auto parent = t.value("parent", std::string{});
    auto schema = parent.substr(parent.rfind('.') + 1);
    opts.key_columns.clear();
    for (auto& k : attrs.value("primary_key", json::array()))
      opts.key_columns.push_back(k.get<std::string>());
    auto raw = raw_value_columns(*env.catalog, t.value("urn", std::string{}));
    if (!raw)
      return raw.error();
    opts.raw_value_columns = std::move(*raw);
    auto prof = profiling::profile_table(*c, schema, t.value("name", ""), {}, opts,
                                         *env.cancel);
    if (!prof) {
      // A table the source refuses to read (an unpopulated materialized
      // view, no permission) is reported and skipped; losing the source
      // fails the job.
      auto code = code_of(prof.error());
      if (code != ec::invalid_argument && code != ec::forbidden)
        return prof.error();
      skipped.push_back({{"table", t.value("urn", "")}, {"error", render(prof.error())}});
      env.progress(i + 1, tables.size());
      continue;
    }
    auto when = now_ms();
    for (auto& [col, p] : (*prof)["columns"].items()) {
      auto turn = t.value("urn", std::string{});
      auto urn = "urn:almanac:column:" + turn.substr(turn.find(':', 12) + 1) + "."
                 + catalog::encode_name(col);
      auto e = env.catalog->entity(urn);
      if (!e || !*e)
        continue;
      auto cattrs = (**e).value("attributes", json::object());
      auto profile = p;
      profile["table_row_count"] = (*prof)["table_row_count"];
      if (same_statistics(cattrs.value("profile", json(nullptr)), profile)) {
        ++unchanged; // nothing to append
        continue;
      }
      profile["computed_ms"] = when;
      cattrs["profile"] = profile;
      auto r = ask_catalog(env, urn, cattrs);
      if (!r)
        return r.error();
      last_offset = std::max<uint64_t>(last_offset, r->value("offset", uint64_t{0}));
      ++columns;
    }
    attrs["row_count"] = (*prof)["table_row_count"];
    auto r = ask_catalog(env, t.value("urn", ""), attrs);
    if (!r)
      return r.error();
    env.progress(i + 1, tables.size());
  }
  return json{{"tables", tables.size() - skipped.size()}, {"columns", columns},
              {"unchanged", unchanged}, {"skipped", skipped}, {"offset", last_offset}};
}

} // namespace almanac::extraction
