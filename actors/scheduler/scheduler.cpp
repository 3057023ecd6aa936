#include "actors/jobs/job_connect.hpp"
#include "actors/scheduler/scheduler.hpp"

#include "actors/compose/compose_guard.hpp"
#include "actors/scheduler/cron.hpp"
#include "actors/sources/source_config.hpp"
#include "messages/actors.hpp"
#include "messages/error.hpp"
#include "messages/event_types.hpp"
#include "messages/random.hpp"
#include "actors/http/ask_routes.hpp"

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
  ev::schedule_defined spec; ///< As defined.
  cron_expr cron;
  int64_t last_minute = -1; ///< The minute it last fired in.
  std::string last_job;
};

struct scheduler_state {
  static constexpr const char* name = "scheduler";
  scheduler_actor::stateful_pointer<scheduler_state> self = nullptr;
  std::shared_ptr<runtime::actor_metrics> metrics;
  runtime::actor_registry* registry = nullptr;
  /// Fires only while this node is not a standby.
  std::shared_ptr<const runtime::ha_state> ha;
  event_log_actor log;
  int ticks_pending = 0; ///< Ticks sent and not yet received.
  std::map<std::string, schedule> schedules;

  // Submits the job of schedule `s` (its id becomes the schedule's last job).
  caf::error submit(schedule& s) {
    auto pool = registry->find(names::jobs);
    if (!pool)
      return make_error(ec::unavailable, "the job pool is restarting");
    self->request(pool, 10s, atom::submit::value, s.spec.kind, s.spec.source,
                  job_options(s.spec), "scheduler:" + s.spec.user)
      .then([this, id = s.spec.id](job_submitted& reply) {
              auto i = schedules.find(id);
              if (i != schedules.end())
                i->second.last_job = reply.job;
            },
            [id = s.spec.id](caf::error& err) {
              spdlog::warn("[scheduler] schedule {} could not submit: {}", id, render(err));
            });
    return caf::none;
  }

  // The options of a job schedule `spec` submits: its own, and its id.
  static json_body job_options(const ev::schedule_defined& spec) {
    json_body opts{spec.options.is_object() ? spec.options : json::object()};
    opts.value["schedule"] = spec.id;
    return opts;
  }

  // Schedule `s` as the API shows it.
  static schedule_view view(const schedule& s) {
    auto& d = s.spec;
    return {d.id, d.user, d.cron, d.kind, d.source, d.options, d.extra, s.last_job};
  }
};

scheduler_actor::behavior_type
scheduler_impl(scheduler_actor::stateful_pointer<scheduler_state> self,
               std::shared_ptr<const runtime::ha_state> ha,
               std::shared_ptr<runtime::actor_metrics> metrics,
               runtime::actor_registry* registry) {
  auto& st = self->state;
  st.self = self;
  st.ha = std::move(ha);
  st.metrics = std::move(metrics);
  st.registry = registry;
  // Follow the whole log (schedules are few; their events are filtered). The
  // storage subtree may still be starting: subscribe as soon as the log is up.
  auto subscribe = [self] {
    auto& st = self->state;
    if (st.log)
      return;
    st.log = st.registry->find(names::eventlog);
    if (!st.log)
      return;
    // A restarted log is a new actor that knows nothing of our
    // subscription: notice its end, and subscribe to the new one (from 0:
    // replaying schedule events onto the map is idempotent).
    self->monitor(st.log);
    self->send(st.log, caf::subscribe_atom::value, uint64_t{0}, uint64_t{4096},
               caf::actor_cast<log_subscriber_actor>(self));
  };
  self->set_down_handler([self](caf::down_msg& msg) {
    auto& st = self->state;
    if (st.log && msg.source == st.log.address()) {
      spdlog::info("[scheduler] the event log went away; subscribing again");
      st.log = nullptr;
      ++st.ticks_pending;
      self->delayed_send(self, 100ms, atom::tick::value);
    }
  });
  subscribe();
  ++st.ticks_pending;
  self->delayed_send(self, st.log ? 1s : 100ms, atom::tick::value);
  return {
    [self](atom::records, std::vector<event_record>& batch) {
      auto& st = self->state;
      st.metrics->processed.fetch_add(1, std::memory_order_relaxed);
      for (auto& r : batch) {
        if (ev::is<ev::schedule_removed>(r.type)) {
          if (auto e = ev::decode<ev::schedule_removed>(r.payload))
            st.schedules.erase(e->id);
          continue;
        }
        if (!ev::is<ev::schedule_defined>(r.type))
          continue;
        auto p = ev::decode<ev::schedule_defined>(r.payload);
        if (!p)
          continue;
        auto id = p->id;
        auto cron = parse_cron(p->cron);
        if (!cron)
          continue;
        p->extra.erase("user_token");
        auto old = st.schedules.find(id);
        // A replay (after the log restarted) keeps when it last fired.
        auto last_minute = old == st.schedules.end() ? int64_t{-1} : old->second.last_minute;
        auto last_job = old == st.schedules.end() ? std::string{} : old->second.last_job;
        st.schedules[id] = schedule{std::move(*p), *cron, last_minute, last_job};
      }
      self->send(st.log, atom::credit::value, static_cast<uint64_t>(batch.size()));
    },
    [self](caf::get_atom, atom::schedules) {
      std::vector<schedule_view> out;
      out.reserve(self->state.schedules.size());
      for (auto& [id, s] : self->state.schedules)
        out.push_back(scheduler_state::view(s));
      return out;
    },
    [self](atom::run, const std::string& id) -> caf::result<job_submitted> {
      auto i = self->state.schedules.find(id);
      if (i == self->state.schedules.end())
        return make_error(ec::not_found, "no schedule " + id);
      auto pool = self->state.registry->find(names::jobs);
      if (!pool)
        return make_error(ec::unavailable, "the job pool is restarting");
      auto& s = i->second;
      return self->delegate(pool, atom::submit::value, s.spec.kind, s.spec.source,
                            scheduler_state::job_options(s.spec), "scheduler:" + s.spec.user);
    },
    [self, subscribe](atom::tick) {
      auto& st = self->state;
      subscribe();
      // Keep one chain of ticks (the down handler may have started another),
      // plus quick retries while the log is away.
      if (--st.ticks_pending > 0) {
        if (!st.log) {
          ++st.ticks_pending;
          self->delayed_send(self, 100ms, atom::tick::value);
        }
        return;
      }
      auto now = now_s();
      auto minute = now / 60;
      if (!st.ha || !st.ha->standby)
        for (auto& [id, s] : st.schedules)
          if (s.last_minute != minute && s.cron.matches(now)) {
            s.last_minute = minute;
            spdlog::info("[scheduler] firing {} ({} on {})", id,
                         s.spec.kind, s.spec.source);
            if (auto err = st.submit(s))
              spdlog::warn("[scheduler] schedule {} could not submit: {}", id, render(err));
          }
      // Check again at the start of the next minute (and at least every 30 s).
      auto next = std::min<int64_t>(60 - now % 60, 30);
      ++st.ticks_pending;
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
  auto sql = env.options.value("sql", "");
  if (auto err = compose::check_compose_sql(sql))
    return err;
  connectors::source_config cfg;
  auto conn = jobs::connect_for_job(env, &cfg);
  if (!conn)
    return conn.error();
  auto* c = conn->get();
  if (auto err = compose::check_compose_role(*c, cfg))
    return err;
  connectors::query_options opts;
  opts.row_limit = env.options.value("limit", uint64_t{1000});
  auto res = c->query(sql, opts);
  if (!res)
    return res.error();
  env.progress(1, 1);
  return json{{"columns", res->columns}, {"rows", res->rows},
              {"truncated", res->truncated}, {"duration_ms", res->duration.count()}};
}

runtime::child_spec scheduler_child(std::shared_ptr<const runtime::ha_state> ha) {
  return {"scheduler", [ha](const runtime::child_context& ctx) {
            auto h = ctx.system->spawn(scheduler_impl, ha, ctx.metrics, ctx.registry);
            return caf::actor_cast<caf::actor>(h);
          }};
}

void add_routes(http::router& r, runtime::node_context& node,
                std::shared_ptr<catalog::catalog_projection> catalog) {
  using http::role;
  r.add_async("GET", "/api/v1/schedules", role::viewer,
              [&node](http::request&, const http::principal&, http::responder reply) {
                http::ask_actor<std::vector<schedule_view>>(
                  node, names::scheduler, 5s,
                  [reply](caf::expected<std::vector<schedule_view>> res) {
                    if (!res)
                      return reply(http::error_response(res.error()));
                    reply(http::json_response(200, {{"schedules", json(*res)}}));
                  },
                  caf::get_atom::value, atom::schedules::value);
              });
  r.add_async("POST", "/api/v1/schedules", role::admin,
              [&node, catalog](http::request& req, const http::principal& who, http::responder reply) {
                auto body = validate(req.json, node);
                if (!body)
                  return reply(http::error_response(body.error()));
                auto source = (*body)["source"].get<std::string>();
                auto e = catalog->entity(sources::source_urn(source));
                if (!e)
                  return reply(http::error_response(e.error()));
                if (!*e)
                  return reply(http::error_response(make_error(
                    ec::invalid_argument, "field 'source': no source named '" + source
                                            + "' (register it with POST /api/v1/sources)")));
                auto random = random_hex(6);
                if (!random)
                  return reply(http::error_response(random.error()));
                auto id = "sched-" + *random;
                ev::schedule_defined def;
                def.id = id;
                def.user = who.user;
                def.cron = (*body)["cron"].get<std::string>();
                def.kind = (*body)["kind"].get<std::string>();
                def.source = source;
                def.options = body->value("options", json::object());
                auto payload = ev::to_json(def);
                std::vector<event_input> evs{ev::to_event(def, "schedule:" + id)};
                http::ask_actor<append_ack>(
                  node, names::eventlog, 10s,
                  [reply, payload](caf::expected<append_ack> ack) mutable {
                    if (!ack)
                      return reply(http::error_response(ack.error()));
                    payload["offset"] = ack->end_offset - 1;
                    reply(http::json_response(201, payload));
                  },
                  atom::append::value, evs);
              });
  r.add_async("DELETE", "/api/v1/schedules/{id}", role::admin,
              [&node](http::request& req, const http::principal& who, http::responder reply) {
                auto id = req.params["id"];
                auto remove = [&node, reply, id, user = who.user] {
                  ev::schedule_removed e;
                  e.id = id;
                  e.user = user;
                  std::vector<event_input> evs{ev::to_event(e, "schedule:" + id)};
                  http::ask_actor<append_ack>(
                    node, names::eventlog, 10s,
                    [reply, id](caf::expected<append_ack> ack) {
                      if (!ack)
                        return reply(http::error_response(ack.error()));
                      reply(http::json_response(
                        200, {{"id", id}, {"removed", true}, {"offset", ack->end_offset - 1}}));
                    },
                    atom::append::value, evs);
                };
                // Only a schedule that exists is removed (and only then is
                // an event appended).
                http::ask_actor<std::vector<schedule_view>>(
                  node, names::scheduler, 5s,
                  [reply, id, remove](caf::expected<std::vector<schedule_view>> res) {
                    if (!res)
                      return reply(http::error_response(res.error()));
                    for (auto& s : *res)
                      if (s.id == id)
                        return remove();
                    reply(http::error_response(make_error(ec::not_found, "no schedule " + id)));
                  },
                  caf::get_atom::value, atom::schedules::value);
              });
  r.add_async("POST", "/api/v1/schedules/{id}/run", role::admin,
              [&node](http::request& req, const http::principal&, http::responder reply) {
                http::ask_actor<job_submitted>(
                  node, names::scheduler, 10s,
                  [reply](caf::expected<job_submitted> res) {
                    if (!res)
                      return reply(http::error_response(res.error()));
                    reply(http::json_response(202, json(*res)));
                  },
                  atom::run::value, req.params["id"]);
              });
}

} // namespace almanac::scheduler
