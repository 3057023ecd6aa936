#include "actors/scheduler/scheduler.hpp"

#include "actors/scheduler/cron.hpp"
#include "actors/sources/source_config.hpp"
#include "messages/actors.hpp"
#include "messages/error.hpp"
#include "runtime/ask.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <map>

namespace almanac::scheduler {

namespace {

using nlohmann::json;
using namespace std::chrono_literals;

int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
           std::chrono::system_clock::now().time_since_epoch()).count();
}

struct schedule {
  json spec;     ///< As defined (id, cron, kind, source, options, user).
  cron_expr cron;
  int64_t last_minute = -1; ///< The minute it last fired in.
  std::string last_job;
};

struct scheduler_state {
  static constexpr const char* name = "scheduler";
  scheduler_actor::stateful_pointer<scheduler_state> self = nullptr;
  std::shared_ptr<runtime::actor_metrics> metrics;
  runtime::actor_registry* registry = nullptr;
  bool fire = true;
  event_log_actor log;
  std::map<std::string, schedule> schedules;

  // Submits the job of schedule `s`; returns the job's reply.
  caf::expected<std::string> submit(schedule& s) {
    auto pool = caf::actor_cast<jobs_actor>(registry->handle("jobs"));
    if (!pool)
      return make_error(ec::unavailable, "the job pool is restarting");
    auto kind = s.spec.value("kind", "");
    auto opts = s.spec.value("options", json::object());
    opts["schedule"] = s.spec.value("id", "");
    self->request(pool, 10s, atom::submit::value, kind, s.spec.value("source", ""),
                  opts.dump(), "scheduler:" + s.spec.value("user", ""))
      .then([this, id = s.spec.value("id", "")](std::string& reply) {
              auto i = schedules.find(id);
              if (i != schedules.end())
                i->second.last_job = json::parse(reply).value("job", "");
            },
            [id = s.spec.value("id", "")](caf::error& err) {
              spdlog::warn("[scheduler] schedule {} could not submit: {}", id, render(err));
            });
    return std::string{"submitted"};
  }
};

scheduler_actor::behavior_type
scheduler_impl(scheduler_actor::stateful_pointer<scheduler_state> self, bool fire,
               std::shared_ptr<runtime::actor_metrics> metrics,
               runtime::actor_registry* registry) {
  auto& st = self->state;
  st.self = self;
  st.fire = fire;
  st.metrics = std::move(metrics);
  st.registry = registry;
  // Follow the whole log (schedules are few; their events are filtered). The
  // storage subtree may still be starting: subscribe as soon as the log is up.
  auto subscribe = [self] {
    auto& st = self->state;
    if (st.log)
      return;
    st.log = caf::actor_cast<event_log_actor>(st.registry->handle("eventlog"));
    if (st.log)
      self->send(st.log, caf::subscribe_atom::value, uint64_t{0}, uint64_t{4096},
                 caf::actor_cast<log_subscriber_actor>(self));
  };
  subscribe();
  self->delayed_send(self, st.log ? 1s : 100ms, atom::tick::value);
  return {
    [self](atom::records, std::vector<event_record>& batch) {
      auto& st = self->state;
      st.metrics->processed.fetch_add(1, std::memory_order_relaxed);
      for (auto& r : batch) {
        auto name = parse_event_tag(r.type).first;
        if (name != "ScheduleDefined" && name != "ScheduleRemoved")
          continue;
        auto p = json::parse(r.payload, nullptr, false);
        if (!p.is_object())
          continue;
        auto id = p.value("id", "");
        if (name == "ScheduleRemoved") {
          st.schedules.erase(id);
          continue;
        }
        auto cron = parse_cron(p.value("cron", ""));
        if (!cron)
          continue;
        p.erase("user_token");
        st.schedules[id] = schedule{p, *cron, -1, ""};
      }
      self->send(st.log, atom::credit::value, static_cast<uint64_t>(batch.size()));
    },
    [self](caf::get_atom, atom::schedules) {
      auto arr = json::array();
      for (auto& [id, s] : self->state.schedules) {
        auto j = s.spec;
        if (!s.last_job.empty())
          j["last_job"] = s.last_job;
        arr.push_back(j);
      }
      return arr.dump();
    },
    [self](atom::run, const std::string& id) -> caf::result<std::string> {
      auto i = self->state.schedules.find(id);
      if (i == self->state.schedules.end())
        return make_error(ec::not_found, "no schedule " + id);
      auto pool = caf::actor_cast<jobs_actor>(self->state.registry->handle("jobs"));
      if (!pool)
        return make_error(ec::unavailable, "the job pool is restarting");
      auto& s = i->second;
      auto opts = s.spec.value("options", json::object());
      opts["schedule"] = id;
      return self->delegate(pool, atom::submit::value, s.spec.value("kind", ""),
                            s.spec.value("source", ""), opts.dump(),
                            "scheduler:" + s.spec.value("user", ""));
    },
    [self, subscribe](atom::tick) {
      auto& st = self->state;
      subscribe();
      auto now = now_s();
      auto minute = now / 60;
      if (st.fire)
        for (auto& [id, s] : st.schedules)
          if (s.last_minute != minute && s.cron.matches(now)) {
            s.last_minute = minute;
            spdlog::info("[scheduler] firing {} ({} on {})", id,
                         s.spec.value("kind", ""), s.spec.value("source", ""));
            st.submit(s);
          }
      // Check again at the start of the next minute (and at least every 30 s).
      auto next = std::min<int64_t>(60 - now % 60, 30);
      if (!st.log)
        self->delayed_send(self, 100ms, atom::tick::value);
      else
        self->delayed_send(self, std::chrono::seconds(next), atom::tick::value);
    },
  };
}

caf::expected<json> validate(const json& body, const runtime::node_context&) {
  static const std::set<std::string> known{"cron", "kind", "source", "options"};
  if (!body.is_object())
    return make_error(ec::bad_request, "the body must be a JSON object");
  for (auto& [k, v] : body.items())
    if (!known.count(k))
      return make_error(ec::bad_request, "unknown field '" + k + "'");
  for (auto key : {"cron", "kind", "source"})
    if (!body.contains(key) || !body[key].is_string())
      return make_error(ec::bad_request, std::string{"missing required string field '"} + key + "'");
  if (auto c = parse_cron(body["cron"].get<std::string>()); !c)
    return c.error();
  auto kind = body["kind"].get<std::string>();
  if (kind != "extract" && kind != "profile" && kind != "compose")
    return make_error(ec::invalid_argument, "field 'kind' must be extract, profile or compose");
  auto opts = body.value("options", json::object());
  if (!opts.is_object())
    return make_error(ec::bad_request, "field 'options' must be an object");
  if (kind == "compose" && (!opts.contains("sql") || !opts["sql"].is_string()))
    return make_error(ec::bad_request, "a compose schedule needs options.sql");
  return body;
}

} // namespace

caf::expected<json> run_compose_job(jobs::job_env& env) {
  auto conn = sources::connect_for_job(env);
  if (!conn)
    return conn.error();
  auto* c = conn->get();
  connectors::query_options opts;
  opts.row_limit = env.options.value("limit", uint64_t{1000});
  auto res = c->query(env.options.value("sql", ""), opts);
  if (!res)
    return res.error();
  env.progress(1, 1);
  return json{{"columns", res->columns}, {"rows", res->rows},
              {"truncated", res->truncated}, {"duration_ms", res->duration.count()}};
}

runtime::child_spec scheduler_child(bool fire) {
  return {"scheduler", [fire](const runtime::child_context& ctx) {
            auto h = ctx.system->spawn(scheduler_impl, fire, ctx.metrics, ctx.registry);
            return caf::actor_cast<caf::actor>(h);
          }};
}

void add_routes(http::router& r, runtime::node_context& node) {
  using http::role;
  auto scheduler_of = [&node] {
    return caf::actor_cast<scheduler_actor>(node.registry.handle("scheduler"));
  };
  r.add({"GET", "/api/v1/schedules", role::viewer,
         [&node, scheduler_of](http::request&, const http::principal&) {
           auto s = scheduler_of();
           if (!s)
             return http::error_response(make_error(ec::unavailable, "the scheduler is restarting"));
           auto res = runtime::ask<std::string>(*node.system, s, 5s, caf::get_atom::value,
                                                atom::schedules::value);
           if (!res)
             return http::error_response(res.error());
           return http::json_response(200, {{"schedules", json::parse(*res)}});
         }});
  r.add({"POST", "/api/v1/schedules", role::admin,
         [&node](http::request& req, const http::principal& who) {
           auto body = validate(req.json, node);
           if (!body)
             return http::error_response(body.error());
           auto id = "sched-" + http::generate_token().substr(0, 12);
           json payload = *body;
           payload["id"] = id;
           payload["user"] = who.user;
           if (!payload.contains("options"))
             payload["options"] = json::object();
           auto log = caf::actor_cast<event_log_actor>(node.registry.handle("eventlog"));
           if (!log)
             return http::error_response(make_error(ec::unavailable, "the event log is not running"));
           std::vector<event_input> evs{{event_tag("ScheduleDefined"), "schedule:" + id, payload.dump()}};
           auto ack = runtime::ask<append_ack>(*node.system, log, 10s, atom::append::value, evs);
           if (!ack)
             return http::error_response(ack.error());
           payload["offset"] = ack->end_offset - 1;
           return http::json_response(201, payload);
         }});
  r.add({"DELETE", "/api/v1/schedules/{id}", role::admin,
         [&node](http::request& req, const http::principal& who) {
           auto log = caf::actor_cast<event_log_actor>(node.registry.handle("eventlog"));
           if (!log)
             return http::error_response(make_error(ec::unavailable, "the event log is not running"));
           auto id = req.params["id"];
           std::vector<event_input> evs{{event_tag("ScheduleRemoved"), "schedule:" + id,
                                         json{{"id", id}, {"user", who.user}}.dump()}};
           auto ack = runtime::ask<append_ack>(*node.system, log, 10s, atom::append::value, evs);
           if (!ack)
             return http::error_response(ack.error());
           return http::json_response(200, {{"id", id}, {"removed", true},
                                            {"offset", ack->end_offset - 1}});
         }});
  r.add({"POST", "/api/v1/schedules/{id}/run", role::admin,
         [&node, scheduler_of](http::request& req, const http::principal&) {
           auto s = scheduler_of();
           if (!s)
             return http::error_response(make_error(ec::unavailable, "the scheduler is restarting"));
           auto res = runtime::ask<std::string>(*node.system, s, 10s, atom::run::value,
                                                req.params["id"]);
           if (!res)
             return http::error_response(res.error());
           return http::json_response(202, json::parse(*res));
         }});
}

} // namespace almanac::scheduler
