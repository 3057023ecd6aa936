#include "actors/admin/admin_routes.hpp"

#include "messages/actors.hpp"
#include "messages/error.hpp"
#include "actors/http/ask_routes.hpp"
#include "runtime/supervisor.hpp"
#include "storage/state/rocks_store.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <fstream>
#include <malloc.h>
#include <unistd.h>

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
  auto faults = node.registry.storage_faults();
  if (auto why = node.ha->sync_problem(); !why.empty())
    faults.emplace("replication", why);
  nlohmann::json j{{"status", node.failed ? "failed" : faults.empty() ? "ok" : "degraded"},
                   {"role", node.ha->standby ? "standby" : "primary"},
                   {"version", node.version},
                   {"uptime_s", node.uptime_s()}};
  if (!faults.empty()) {
    auto reasons = nlohmann::json::array();
    for (auto& [name, why] : faults)
      reasons.push_back({{"component", name}, {"reason", why}});
    j["degraded"] = reasons; // reads work; writes are refused until space returns
  }
  return j;
}

nlohmann::json memory_json() {
  uint64_t pages = 0;
  uint64_t resident = 0;
  std::ifstream statm{"/proc/self/statm"};
  statm >> pages >> resident;
  auto page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  auto m = storage::state_memory();
  // glibc's heap: what is allocated, and what it holds free (fragmentation).
  auto heap = ::mallinfo2();
  return {{"rss_bytes", resident * page},
          {"heap",
           {{"in_use_bytes", heap.uordblks + heap.hblkhd},
            {"free_bytes", heap.fordblks},
            {"mmapped_bytes", heap.hblkhd}}},
          {"state_stores",
           {{"block_cache_bytes", m.block_cache_bytes},
            {"block_cache_pinned_bytes", m.block_cache_pinned_bytes},
            {"block_cache_capacity", m.block_cache_capacity},
            {"memtable_bytes", m.memtable_bytes},
            {"memtable_budget", m.memtable_budget}}}};
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

// Asks the projection {name} of `req` and answers with `answer(name, its
// reply of type R)`, or with the error (503 for one restarting or late).
template <class R, class F, class... Ts>
void ask_projection(runtime::node_context& node, http::request& req, http::responder reply,
                    std::chrono::milliseconds timeout, F answer, Ts... xs) {
  auto name = req.params["name"];
  auto h = projection_of(node, name);
  if (!h)
    return reply(http::error_response(h.error()));
  runtime::ask_then<R>(
    *node.system, *h, timeout,
    [reply, name, answer](caf::expected<R> r) {
      if (!r)
        return reply(http::error_response(http::as_unavailable(r.error(), name)));
      reply(answer(name, *r));
    },
    xs...);
}

} // namespace

void add_routes(http::router& r, runtime::node_context& node) {
  using http::role;
  r.add({"GET", "/health", std::nullopt,
         [&node](http::request&, const http::principal&) {
           return http::json_response(node.failed ? 503 : 200,
                                      health_json(node));
         }});
  // The node's memory: resident size and the state stores' bounded caches
  // (the soak tells growth of these apart from a leak).
  r.add({"GET", "/api/v1/admin/memory", role::admin,
         [](http::request&, const http::principal&) {
           return http::json_response(200, memory_json());
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
  r.add_async("GET", "/api/v1/admin/log", role::admin,
              [&node](http::request&, const http::principal&, http::responder reply) {
                http::ask_actor<std::string>(
                  node, names::eventlog, std::chrono::milliseconds(5000),
                  [reply](caf::expected<std::string> st) {
                    if (!st)
                      return reply(http::error_response(st.error()));
                    reply(http::json_response(200, nlohmann::json::parse(*st)));
                  },
                  caf::get_atom::value, atom::status::value);
              });
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
  r.add_async("GET", "/api/v1/admin/projections/{name}", role::admin,
              [&node](http::request& req, const http::principal&, http::responder reply) {
                ask_projection<std::string>(node, req, std::move(reply),
                               std::chrono::milliseconds(5000),
                               [&node](const std::string& name, const std::string& st) {
                                 auto info = node.registry.info(name);
                                 return http::json_response(
                                   200, {{"name", name},
                                         {"lag", info && info->lag ? *info->lag : 0},
                                         {"state", nlohmann::json::parse(st)}});
                               },
                               caf::get_atom::value, atom::status::value);
              });
  // The digest of a projection's state at its checkpoint: equal on a
  // rebuild, on a standby, after any crash (see projection::digest).
  r.add_async("GET", "/api/v1/admin/projections/{name}/digest", role::admin,
              [&node](http::request& req, const http::principal&, http::responder reply) {
                ask_projection<std::string>(node, req, std::move(reply),
                               std::chrono::milliseconds(60000),
                               [](const std::string& name, const std::string& d) {
                                 auto j = nlohmann::json::parse(d);
                                 j["name"] = name;
                                 return http::json_response(200, j);
                               },
                               caf::get_atom::value, atom::digest::value);
              });
  r.add_async("POST", "/api/v1/admin/projections/{name}/rebuild", role::admin,
              [&node](http::request& req, const http::principal& who, http::responder reply) {
                spdlog::info("[admin] {} rebuilds {}", who.user, req.params["name"]);
                ask_projection<caf::ok_atom>(node, req, std::move(reply),
                               std::chrono::milliseconds(30000),
                               [](const std::string& name, caf::ok_atom) {
                                 return http::json_response(
                                   202, {{"name", name}, {"rebuilding", true}});
                               },
                               atom::rebuild::value);
              });
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
