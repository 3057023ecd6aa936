#include "actors/lineage/store/lineage_routes.hpp"

#include "actors/catalog/iso_time.hpp"
#include "actors/catalog/urn.hpp"
#include "actors/lineage/store/lineage_keys.hpp"
#include "actors/lineage/store/query_ingest.hpp"
#include "actors/sources/source_config.hpp"
#include "messages/actors.hpp"
#include "messages/error.hpp"
#include "runtime/ask.hpp"

#include <caf/all.hpp>

#include <regex>

namespace almanac::lineage {

namespace {

using nlohmann::json;
using namespace std::chrono_literals;

caf::expected<append_ack> append(runtime::node_context& node, std::vector<event_input> evs) {
  auto log = caf::actor_cast<event_log_actor>(node.registry.handle("eventlog"));
  if (!log)
    return make_error(ec::unavailable, "the event log is not running");
  return runtime::ask<append_ack>(*node.system, log, 30s, atom::append::value, std::move(evs));
}

caf::error wait_applied(runtime::node_context& node, http::request& req) {
  auto i = req.query.find("min_offset");
  if (i == req.query.end())
    return caf::none;
  auto& v = i->second;
  if (v.empty() || v.size() > 19 || v.find_first_not_of("0123456789") != std::string::npos)
    return make_error(ec::bad_request, "query parameter min_offset must be a non-negative integer");
  auto h = node.registry.handle(projection_name);
  if (!h)
    return make_error(ec::unavailable, "the lineage projection is restarting");
  auto ms = node.settings.get_uint("http.request_timeout_ms");
  auto res = runtime::ask<uint64_t>(*node.system, caf::actor_cast<projection_actor>(h),
                                    std::chrono::milliseconds(ms + 1000), atom::wait::value,
                                    std::stoull(v) + 1, ms);
  return res ? caf::none : res.error();
}


// Registers what an OpenLineage event names, if the catalog lacks it:
// datasets as tables (with their source and schema), the job, and the run
// (whose state follows the event with the latest eventTime). Best effort:
// the event itself is already durable.
void catalog_entities(runtime::node_context& node, const catalog::catalog_projection& cat,
                      const json& e, const std::string& user) {
  auto cat_actor = caf::actor_cast<catalog_actor>(node.registry.handle("catalog"));
  if (!cat_actor)
    return;
  auto ask = [&](auto... xs) {
    return runtime::ask<std::string>(*node.system, cat_actor, 10s, xs...);
  };
  auto ensure = [&](const std::string& urn, json body) {
    if (urn.empty())
      return;
    if (auto cur = cat.entity(urn); cur && *cur)
      return;
    body["urn"] = urn;
    ask(atom::register_::value, body.dump(), user);
  };
  for (auto list : {"inputs", "outputs"})
    for (auto& d : e.value(list, json::array())) {
      auto urn = dataset_urn(d);
      auto parsed = catalog::parse_urn(urn);
      if (!parsed || parsed->names.size() != 3)
        continue;
      auto& n = parsed->names;
      ensure("urn:almanac:source:" + catalog::encode_name(n[0]),
             {{"kind", "source"}, {"description", "Seen in OpenLineage events"}});
      ensure("urn:almanac:schema:" + catalog::encode_name(n[0]) + "." + catalog::encode_name(n[1]),
             {{"kind", "schema"}});
      json ol{{"namespace", d.value("namespace", "")}, {"name", d.value("name", "")}};
      ensure(urn, json{{"kind", "table"}, {"attributes", json{{"openlineage", ol}}}});
    }
  auto job = e["job"];
  auto job_urn = catalog::make_urn(
    catalog::entity_kind::job,
    std::vector<std::string>{job.value("namespace", ""), job.value("name", "")});
  if (!job_urn)
    return;
  ensure(*job_urn, {{"kind", "job"}});
  auto run_id = e["run"].value("runId", "");
  auto run_urn = catalog::make_urn(
    catalog::entity_kind::run,
    std::vector<std::string>{job.value("namespace", ""), job.value("name", ""), run_id});
  if (!run_urn)
    return;
  json attrs{{"state", e.value("eventType", "OTHER")}, {"event_time", e.value("eventTime", "")}};
  auto cur = cat.entity(*run_urn);
  if (!cur || !*cur) {
    ensure(*run_urn, {{"kind", "run"}, {"attributes", attrs}});
    return;
  }
  auto old = (**cur).value("attributes", json::object());
  auto old_ms = catalog::parse_iso_time(old.value("event_time", ""));
  auto new_ms = catalog::parse_iso_time(attrs["event_time"].get<std::string>());
  if (old_ms && new_ms && *new_ms < *old_ms)
    return; // an older event arriving late does not change the state
  ask(atom::attributes::value, *run_urn, attrs.dump(), user);
}

} // namespace

caf::error validate_openlineage(const json& e) {
  auto bad = [](const std::string& field, const std::string& why) {
    return make_error(ec::bad_request, "field '" + field + "' " + why);
  };
  if (!e.is_object())
    return make_error(ec::bad_request, "an OpenLineage run event must be a JSON object");
  if (!e.contains("eventTime") || !e["eventTime"].is_string())
    return bad("eventTime", "is required (an ISO-8601 date-time)");
  if (!catalog::parse_iso_time(e["eventTime"].get<std::string>()))
    return bad("eventTime", "is not an ISO-8601 date-time");
  if (!e.contains("producer") || !e["producer"].is_string() || e["producer"].get<std::string>().empty())
    return bad("producer", "is required (a URI)");
  if (!e.contains("run") || !e["run"].is_object())
    return bad("run", "is required (an object with runId)");
  if (!e["run"].contains("runId") || !e["run"]["runId"].is_string())
    return bad("run.runId", "is required (a UUID)");
  static const std::regex uuid{
    "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"};
  if (!std::regex_match(e["run"]["runId"].get<std::string>(), uuid))
    return bad("run.runId", "must be a UUID, not '" + e["run"]["runId"].get<std::string>() + "'");
  if (!e.contains("job") || !e["job"].is_object())
    return bad("job", "is required (an object with namespace and name)");
  for (auto f : {"namespace", "name"})
    if (!e["job"].contains(f) || !e["job"][f].is_string() || e["job"][f].get<std::string>().empty())
      return bad(std::string{"job."} + f, "is required (a string)");
  if (e.contains("eventType")) {
    static const std::set<std::string> types{"START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER"};
    if (!e["eventType"].is_string() || !types.count(e["eventType"].get<std::string>()))
      return bad("eventType", "must be START, RUNNING, COMPLETE, ABORT, FAIL or OTHER");
  }
  for (auto list : {"inputs", "outputs"}) {
    if (!e.contains(list))
      continue;
    if (!e[list].is_array())
      return bad(list, "must be an array of datasets");
    for (size_t i = 0; i < e[list].size(); ++i) {
      auto& d = e[list][i];
      for (auto f : {"namespace", "name"})
        if (!d.is_object() || !d.contains(f) || !d[f].is_string())
          return bad(std::string{list} + "[" + std::to_string(i) + "]." + f, "is required (a string)");
    }
  }
  return caf::none;
}

caf::expected<json> run_query_log(jobs::job_env& env) {
  auto conn = sources::connect_for_job(env);
  if (!conn)
    return conn.error();
  auto entries = (*conn)->read_query_log(10000);
  if (!entries)
    return entries.error();
  std::vector<event_input> evs;
  uint64_t unparsable = 0;
  for (size_t i = 0; i < entries->size(); ++i) {
    auto& q = (*entries)[i];
    json entry{{"sql", q.sql}, {"user", q.user}, {"database", q.database},
               {"source", env.source}, {"duration_ms", q.duration_ms}, {"calls", q.calls}};
    auto ev = observe_query(entry, "pg_stat_statements", env.catalog.get());
    if (ev.payload.find("\"parse_error\":null") == std::string::npos)
      ++unparsable;
    evs.push_back(std::move(ev));
    env.progress(i + 1, entries->size());
  }
  if (evs.empty())
    return json{{"queries", 0}, {"unparsable", 0}};
  auto log = caf::actor_cast<event_log_actor>(env.registry->handle("eventlog"));
  if (!log)
    return make_error(ec::unavailable, "the event log is not running");
  caf::expected<json> result = make_error(ec::unavailable, "no answer");
  auto n = evs.size();
  env.self->request(log, std::chrono::seconds(60), atom::append::value, std::move(evs))
    .receive([&](append_ack& ack) {
               result = json{{"queries", n}, {"unparsable", unparsable},
                             {"offset", ack.end_offset - 1}};
             },
             [&](caf::error& err) { result = err; });
  return result;
}

void add_routes(http::router& r, runtime::node_context& node,
                std::shared_ptr<catalog::catalog_projection> catalog,
                std::shared_ptr<lineage_store> store) {
  using http::role;
  r.add({"POST", "/api/v1/queries", role::steward,
         [&node, catalog](http::request& req, const http::principal&) {
           auto def = req.query.count("source") ? req.query.at("source") : "";
           auto format = req.query.count("format") ? req.query.at("format") : "jsonlines";
           auto lines = format == "jsonlines" ? parse_query_lines(req.body, def)
                                              : parse_pg_log(req.body, format, def);
           auto origin = format == "jsonlines" ? "upload" : "server_log";
           if (!lines)
             return http::error_response(lines.error());
           std::vector<event_input> evs;
           for (auto& l : *lines)
             evs.push_back(observe_query(l, origin, catalog.get()));
           if (evs.empty())
             return http::json_response(202, {{"accepted", 0}, {"offset", nullptr}});
           auto n = evs.size();
           auto ack = append(node, std::move(evs));
           if (!ack)
             return http::error_response(ack.error());
           return http::json_response(202, {{"accepted", n}, {"offset", ack->end_offset - 1}});
         },
         http::body_kind::raw});
  r.add({"GET", "/api/v1/queries", role::viewer,
         [&node, store](http::request& req, const http::principal&) {
           if (auto err = wait_applied(node, req))
             return http::error_response(err);
           auto t = req.query.find("table");
           if (t == req.query.end())
             return http::error_response(make_error(
               ec::bad_request, "query parameter table (a table or column URN) is required"));
           auto limit = http::query_uint(req, "limit", 100, 10000);
           if (!limit)
             return http::error_response(limit.error());
           auto qs = store->queries_for(t->second, *limit);
           if (!qs)
             return http::error_response(qs.error());
           return http::json_response(200, {{"table", t->second}, {"queries", *qs}});
         }});
  r.add({"GET", "/api/v1/queries/{fingerprint}", role::viewer,
         [&node, store](http::request& req, const http::principal&) {
           if (auto err = wait_applied(node, req))
             return http::error_response(err);
           auto q = store->query(req.params["fingerprint"]);
           if (!q)
             return http::error_response(q.error());
           if (!*q)
             return http::error_response(make_error(
               ec::not_found, "no query with fingerprint " + req.params["fingerprint"]));
           return http::json_response(200, **q);
         }});
  r.add({"GET", "/api/v1/lineage/{urn}", role::viewer,
         [&node, store](http::request& req, const http::principal&) {
           if (auto err = wait_applied(node, req))
             return http::error_response(err);
           traversal_limits lim;
           lim.direction = req.query.count("direction") ? req.query.at("direction") : "both";
           if (lim.direction != "upstream" && lim.direction != "downstream" && lim.direction != "both")
             return http::error_response(make_error(
               ec::invalid_argument, "direction must be upstream, downstream or both"));
           lim.level = req.query.count("level") ? req.query.at("level") : "table";
           if (lim.level != "table" && lim.level != "column")
             return http::error_response(make_error(ec::invalid_argument,
                                                    "level must be table or column"));
           auto depth = http::query_uint(req, "depth", 3, 50);
           if (!depth)
             return http::error_response(depth.error());
           lim.depth = *depth;
           auto res = store->traverse(req.params["urn"], lim);
           if (!res)
             return http::error_response(res.error());
           return http::json_response(200, *res);
         }});
  r.add({"GET", "/api/v1/lineage/runs/{run}", role::viewer,
         [&node, store](http::request& req, const http::principal&) {
           if (auto err = wait_applied(node, req))
             return http::error_response(err);
           auto res = store->run(req.params["run"]);
           if (!res)
             return http::error_response(res.error());
           if (!*res)
             return http::error_response(
               make_error(ec::not_found, "no OpenLineage run " + req.params["run"]));
           return http::json_response(200, **res);
         }});
  r.add({"POST", "/api/v1/lineage", role::steward,
         [&node, catalog](http::request& req, const http::principal& who) {
           if (auto err = validate_openlineage(req.json))
             return http::error_response(err);
           auto ack = append(node, {{event_tag("LineageObserved"),
                                     "run:" + req.json["run"]["runId"].get<std::string>(),
                                     req.json.dump()}});
           if (!ack)
             return http::error_response(ack.error());
           catalog_entities(node, *catalog, req.json, who.user);
           return http::json_response(201, {{"runId", req.json["run"]["runId"]},
                                            {"offset", ack->end_offset - 1}});
         }});
}

} // namespace almanac::lineage
