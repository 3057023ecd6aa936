#include "actors/jobs/job_connect.hpp"
#include "actors/lineage/store/lineage_routes.hpp"

#include "actors/lineage/sql/analysis_cache.hpp"

#include "messages/time.hpp"
#include "messages/urn.hpp"
#include "actors/lineage/domain/lineage_keys.hpp"
#include "actors/lineage/store/query_ingest.hpp"
#include "actors/sources/source_config.hpp"
#include "messages/actors.hpp"
#include "messages/error.hpp"
#include "messages/event_types.hpp"
#include "actors/http/ask_routes.hpp"

#include <caf/all.hpp>

#include <set>

namespace almanac::lineage {

namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// Appends `evs` and calls `then` with the acknowledgement (once durable).
void append(runtime::node_context& node, std::vector<event_input> evs,
            std::function<void(caf::expected<append_ack>)> then) {
  http::ask_actor<append_ack>(node, names::eventlog, 30s, std::move(then),
                                               atom::append::value, std::move(evs));
}

// A request to the catalog actor made on behalf of an OpenLineage event.
struct entity_call {
  bool attributes = false; ///< Set attributes of `urn`, else register `body`.
  std::string urn;
  json body;
};

// Makes `calls` one after another (best effort: failures are skipped), then
// calls `done`.
void call_in_order(runtime::node_context& node, std::shared_ptr<std::vector<entity_call>> calls,
                   size_t i, std::string user, std::function<void()> done) {
  if (i == calls->size())
    return done();
  auto& c = (*calls)[i];
  auto next = [&node, calls, i, user, done](auto) {
    call_in_order(node, calls, i + 1, user, done);
  };
  if (c.attributes)
    http::ask_actor<edit_reply>(node, names::catalog, 10s, next, atom::attributes::value,
                                c.urn, json_body{c.body}, user);
  else if (c.urn.rfind("urn:almanac:source:", 0) == 0) // a placeholder: no connection
    http::ask_actor<register_reply>(node, names::catalog, 10s, next, atom::source::value,
                                    atom::register_::value, json_body{c.body}, user);
  else
    http::ask_actor<register_reply>(node, names::catalog, 10s, next,
                                    atom::register_::value, json_body{c.body}, user);
}

// Registers what an OpenLineage event names, if the catalog lacks it:
// datasets as tables (with their source and schema), the job, and the run
// (whose state follows the event with the latest eventTime). Best effort:
// the event itself is already durable.
std::vector<entity_call> catalog_entities(const catalog::catalog_projection& cat,
                                          const json& e) {
  std::vector<entity_call> calls;
  std::set<std::string> seen;
  auto ensure = [&](const std::string& urn, json body) {
    if (urn.empty() || !seen.insert(urn).second)
      return;
    if (auto cur = cat.entity(urn); cur && *cur)
      return;
    body["urn"] = urn;
    calls.push_back({false, urn, std::move(body)});
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
    return calls;
  ensure(*job_urn, {{"kind", "job"}});
  auto run_id = e["run"].value("runId", "");
  auto run_urn = catalog::make_urn(
    catalog::entity_kind::run,
    std::vector<std::string>{job.value("namespace", ""), job.value("name", ""), run_id});
  if (!run_urn)
    return calls;
  json attrs{{"state", e.value("eventType", "OTHER")}, {"event_time", e.value("eventTime", "")}};
  auto cur = cat.entity(*run_urn);
  if (!cur || !*cur) {
    ensure(*run_urn, {{"kind", "run"}, {"attributes", attrs}});
    return calls;
  }
  auto old = (**cur).value("attributes", json::object());
  auto old_ms = parse_iso_time(old.value("event_time", ""));
  auto new_ms = parse_iso_time(attrs["event_time"].get<std::string>());
  if (old_ms && new_ms && *new_ms < *old_ms)
    return calls; // an older event arriving late does not change the state
  calls.push_back({true, *run_urn, std::move(attrs)});
  return calls;
}

} // namespace

caf::expected<json> run_query_log(jobs::job_env& env) {
  auto conn = jobs::connect_for_job(env);
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
    if (!q.search_path.empty())
      entry["search_path"] = q.search_path;
    auto observed = analyze_query(entry, "pg_stat_statements", env.catalog.get());
    if (observed.parse_error)
      ++unparsable;
    evs.push_back(ev::to_event(observed, "query:" + observed.fingerprint));
    env.progress(i + 1, entries->size());
  }
  if (evs.empty())
    return json{{"queries", 0}, {"unparsable", 0}};
  auto log = env.registry->find(names::eventlog);
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
  // Analyses shared by every upload (logs repeat their statements).
  auto cache = std::make_shared<analysis_cache>(10000);
  r.add_async("POST", "/api/v1/queries", role::steward,
         [&node, catalog, cache](http::request& req, const http::principal&, http::responder reply) {
           auto def = req.query.count("source") ? req.query.at("source") : "";
           auto format = req.query.count("format") ? req.query.at("format") : "jsonlines";
           auto lines = format == "jsonlines" ? parse_query_lines(req.body, def)
                                              : parse_pg_log(req.body, format, def);
           auto origin = format == "jsonlines" ? "upload" : "server_log";
           if (!lines)
             return reply(http::error_response(lines.error()));
           auto evs = observe_all(*lines, origin, catalog.get(), *cache);
           if (evs.empty())
             return reply(http::json_response(202, {{"accepted", 0}, {"offset", nullptr}}));
           auto n = evs.size();
           append(node, std::move(evs), [reply, n](caf::expected<append_ack> ack) {
             if (!ack)
               return reply(http::error_response(ack.error()));
             reply(http::json_response(202, {{"accepted", n}, {"offset", ack->end_offset - 1}}));
           });
         },
         http::body_kind::raw);
  r.add_async("GET", "/api/v1/queries", role::viewer,
         [&node, store](http::request& req, const http::principal&, http::responder reply) {
           http::read_after_min_offset(node, projection_name, req, std::move(reply), [&req, store]() -> http::response {
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
           });
         });
  r.add_async("GET", "/api/v1/queries/{fingerprint}", role::viewer,
         [&node, store](http::request& req, const http::principal&, http::responder reply) {
           http::read_after_min_offset(node, projection_name, req, std::move(reply), [&req, store]() -> http::response {
           auto q = store->query(req.params["fingerprint"]);
           if (!q)
             return http::error_response(q.error());
           if (!*q)
             return http::error_response(make_error(
               ec::not_found, "no query with fingerprint " + req.params["fingerprint"]));
           return http::json_response(200, **q);
           });
         });
  r.add_async("GET", "/api/v1/lineage/{urn}", role::viewer,
         [&node, store](http::request& req, const http::principal&, http::responder reply) {
           http::read_after_min_offset(node, projection_name, req, std::move(reply), [&req, store]() -> http::response {
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
           if (auto e = req.query.find("evidence"); e != req.query.end()) {
             if (e->second != "true" && e->second != "false")
               return http::error_response(make_error(
                 ec::invalid_argument, "evidence must be true or false, not '" + e->second + "'"));
             lim.evidence = e->second == "true";
           }
           auto res = store->traverse_text(req.params["urn"], lim);
           if (!res)
             return http::error_response(res.error());
           http::response out;
           out.body = std::move(*res);
           return out;
           });
         });
  r.add_async("GET", "/api/v1/lineage/runs/{run}", role::viewer,
         [&node, store](http::request& req, const http::principal&, http::responder reply) {
           http::read_after_min_offset(node, projection_name, req, std::move(reply), [&req, store]() -> http::response {
           auto res = store->run(req.params["run"]);
           if (!res)
             return http::error_response(res.error());
           if (!*res)
             return http::error_response(
               make_error(ec::not_found, "no OpenLineage run " + req.params["run"]));
           return http::json_response(200, **res);
           });
         });
  r.add_async("POST", "/api/v1/lineage", role::steward,
         [&node, catalog](http::request& req, const http::principal& who, http::responder reply) {
           if (auto err = validate_openlineage(req.json))
             return reply(http::error_response(err));
           auto event = ev::from_json<ev::lineage_observed>(req.json);
           if (!event)
             return reply(http::error_response(event.error()));
           auto run_id = event->run.runId;
           append(node, {ev::to_event(*event, "run:" + run_id)},
                  [&node, &req, catalog, reply, run_id, user = who.user](caf::expected<append_ack> ack) {
                    if (!ack)
                      return reply(http::error_response(ack.error()));
                    json answer{{"runId", run_id}, {"offset", ack->end_offset - 1}};
                    auto calls = std::make_shared<std::vector<entity_call>>(
                      catalog_entities(*catalog, req.json));
                    call_in_order(node, calls, 0, user, [reply, answer] {
                      reply(http::json_response(201, answer));
                    });
                  });
         });
}

} // namespace almanac::lineage
