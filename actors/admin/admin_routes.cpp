#include "actors/admin/admin_routes.hpp"

#include "messages/actors.hpp"
#include "messages/error.hpp"
#include "runtime/ask.hpp"
#include "runtime/supervisor.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

namespace almanac::admin {

nlohmann::json actors_json(const runtime::actor_registry& registry) {
  auto rows = nlohmann::json::array();
  for (auto& a : registry.snapshot()) {
    nlohmann::json row{{"name", a.name},
                       {"parent", a.parent},
                       {"kind", a.kind},
                       {"state", to_string(a.state)},
                       {"restarts", a.restarts},
                       {"last_error", a.last_error},
                       {"mailbox", a.mailbox},
                       {"processed", a.processed}};
    if (a.checkpoint) {
      row["checkpoint"] = *a.checkpoint;
      row["lag"] = *a.lag;
    }
    rows.push_back(std::move(row));
  }
  return {{"actors", rows}};
}

nlohmann::json health_json(const runtime::node_context& node) {
  return {{"status", node.failed ? "failed" : "ok"},
          {"role", node.settings.get("node.role")},
          {"version", node.version},
          {"uptime_s", node.uptime_s()}};
}

namespace {

// The driver of projection `name`: not_found if no projection has that name,
// unavailable while it restarts.
caf::expected<projection_actor> projection_of(runtime::node_context& node,
                                              const std::string& name) {
  auto info = node.registry.info(name);
  if (!info || !info->checkpoint)
    return make_error(ec::not_found, "no projection named '" + name + "'");
  auto h = node.registry.handle(name);
  if (!h)
    return make_error(ec::unavailable, name + " is restarting");
  return caf::actor_cast<projection_actor>(h);
}

} // namespace

void add_routes(http::router& r, runtime::node_context& node) {
  using http::role;
  r.add({"GET", "/health", std::nullopt,
         [&node](http::request&, const http::principal&) {
           return http::json_response(node.failed ? 503 : 200,
                                      health_json(node));
         }});
  r.add({"GET", "/api/v1/admin/actors", role::admin,
         [&node](http::request&, const http::principal&) {
           return http::json_response(200, actors_json(node.registry));
         }});
  r.add({"POST", "/api/v1/admin/actors/{name}/restart", role::admin,
         [&node](http::request& req, const http::principal& who) {
           auto& name = req.params["name"];
           if (!node.registry.contains(name))
             return http::error_response(
               make_error(ec::not_found, "no actor named '" + name + "'"));
           auto sup = node.registry.supervisor_of(name);
           if (!sup)
             return http::error_response(make_error(
               ec::invalid_argument,
               "'" + name + "' is the root supervisor and has no supervisor "
               "to restart it; restart the node instead"));
           spdlog::info("[admin] {} asks to restart {}", who.user, name);
           auto resp = http::json_response(
             202, {{"name", name}, {"restarting", true}});
           // After the answer is out: the actor may be this very gateway.
           resp.after = [sup, name] {
             caf::anon_send(caf::actor_cast<supervisor_actor>(sup),
                            atom::restart::value, name);
           };
           return resp;
         }});
  r.add({"GET", "/api/v1/admin/log", role::admin,
         [&node](http::request&, const http::principal&) {
           auto log = node.registry.handle("eventlog");
           if (!log)
             return http::error_response(
               make_error(ec::unavailable, "the event log is not running"));
           auto st = runtime::ask<std::string>(
             *node.system, caf::actor_cast<event_log_actor>(log),
             std::chrono::milliseconds(5000), caf::get_atom::value,
             atom::status::value);
           if (!st)
             return http::error_response(st.error());
           return http::json_response(200, nlohmann::json::parse(*st));
         }});
  r.add({"GET", "/api/v1/admin/projections", role::admin,
         [&node](http::request&, const http::principal&) {
           auto rows = nlohmann::json::array();
           for (auto& a : node.registry.snapshot())
             if (a.checkpoint)
               rows.push_back({{"name", a.name},
                               {"state", to_string(a.state)},
                               {"checkpoint", *a.checkpoint},
                               {"lag", *a.lag},
                               {"restarts", a.restarts}});
           return http::json_response(
             200, {{"log_end", node.registry.log_end.load()},
                   {"projections", rows}});
         }});
  r.add({"GET", "/api/v1/admin/projections/{name}", role::admin,
         [&node](http::request& req, const http::principal&) {
           auto& name = req.params["name"];
           auto h = projection_of(node, name);
           if (!h)
             return http::error_response(h.error());
           auto st = runtime::ask<std::string>(
             *node.system, *h,
             std::chrono::milliseconds(5000), caf::get_atom::value,
             atom::status::value);
           if (!st)
             return http::error_response(st.error());
           auto info = node.registry.info(name);
           return http::json_response(200, {{"name", name},
                                            {"lag", info && info->lag ? *info->lag : 0},
                                            {"state", nlohmann::json::parse(*st)}});
         }});
  r.add({"POST", "/api/v1/admin/projections/{name}/rebuild", role::admin,
         [&node](http::request& req, const http::principal& who) {
           auto& name = req.params["name"];
           auto h = projection_of(node, name);
           if (!h)
             return http::error_response(h.error());
           spdlog::info("[admin] {} rebuilds {}", who.user, name);
           auto ok = runtime::ask<caf::ok_atom>(
             *node.system, *h,
             std::chrono::milliseconds(30000), atom::rebuild::value);
           if (!ok)
             return http::error_response(ok.error());
           return http::json_response(202, {{"name", name}, {"rebuilding", true}});
         }});
  r.add({"POST", "/api/v1/admin/actors/{name}/crash", role::admin,
         [&node](http::request& req, const http::principal& who) {
           auto& name = req.params["name"];
           if (!node.settings.get_bool("enable_fault_injection"))
             return http::error_response(make_error(
               ec::forbidden, "fault injection is disabled; start almanacd "
                              "with --enable-fault-injection"));
           if (!node.registry.contains(name))
             return http::error_response(
               make_error(ec::not_found, "no actor named '" + name + "'"));
           auto h = node.registry.handle(name);
           if (!h)
             return http::error_response(make_error(
               ec::unavailable, "'" + name + "' is not running right now"));
           spdlog::warn("[admin] {} injects a fault into {}", who.user, name);
           auto resp = http::json_response(202, {{"name", name}, {"crashing", true}});
           resp.after = [h, user = who.user] {
             runtime::send_fault(h, make_error(ec::fault_injected,
                                               "crash requested by " + user
                                                 + " through the admin API"));
           };
           return resp;
         }});
}

} // namespace almanac::admin
