#include "actors/catalog_service/catalog_actor.hpp"

#include "actors/catalog/accounts.hpp"
#include "actors/catalog/commands.hpp"
#include "actors/catalog_service/pending_state.hpp"
#include "actors/catalog_service/sync.hpp"
#include "messages/actors.hpp"
#include "messages/error.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <thread>

namespace almanac::catalog_service {

namespace {

using namespace std::chrono_literals;

struct catalog_state {
  static constexpr const char* name = "catalog";

  catalog_actor::stateful_pointer<catalog_state> self = nullptr;
  std::shared_ptr<catalog::catalog_projection> projected;
  std::unique_ptr<pending_state> pending;
  std::shared_ptr<runtime::actor_metrics> metrics;
  runtime::actor_registry* registry = nullptr;
  uint64_t next_seq = 0;

  // Parses a JSON body; an empty body is an empty object.
  static caf::expected<nlohmann::json> parse(const std::string& body) {
    if (body.empty())
      return nlohmann::json::object();
    auto j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_discarded())
      return make_error(ec::bad_request, "malformed JSON body");
    return j;
  }

  // Validates with `validate`, appends its events, replies once durable.
  template <class Validate>
  caf::result<std::string> run(const std::string& user, Validate validate) {
    metrics->processed.fetch_add(1, std::memory_order_relaxed);
    pending->trim(projected->checkpoint());
    auto res = validate(static_cast<const catalog::state_view&>(*pending));
    if (!res)
      return res.error();
    auto reply = std::move(res->reply);
    if (res->events.empty()) {
      auto end = registry->log_end.load();
      reply["offset"] = end > 0 ? end - 1 : 0;
      return reply.dump();
    }
    auto log = caf::actor_cast<event_log_actor>(registry->handle("eventlog"));
    if (!log)
      return make_error(ec::unavailable, "the event log is not running");
    auto seq = next_seq++;
    pending->add(seq, res->events, user);
    auto rp = self->make_response_promise<std::string>();
    self->request(log, 30s, atom::append::value, std::move(res->events))
      .then(
        [this, seq, rp, reply](append_ack& ack) mutable {
          pending->acked(seq, ack.end_offset);
          reply["offset"] = ack.end_offset - 1;
          rp.deliver(reply.dump());
        },
        [this, rp](caf::error& err) mutable {
          // The append may still land (a timeout) and the overlay no longer
          // knows what is durable: answer, then restart, which re-validates
          // only after the catalog state has caught up with the log.
          spdlog::error("[catalog] append failed: {}; restarting to resync", render(err));
          rp.deliver(err);
          pending->clear();
          self->quit(make_error(ec::unavailable, "append failed: " + render(err)));
        });
    return rp;
  }
};

catalog_actor::behavior_type
catalog_impl(catalog_actor::stateful_pointer<catalog_state> self,
             std::shared_ptr<catalog::catalog_projection> projected,
             std::shared_ptr<runtime::actor_metrics> metrics,
             runtime::actor_registry* registry) {
  auto& st = self->state;
  st.self = self;
  st.projected = std::move(projected);
  st.pending = std::make_unique<pending_state>(*st.projected);
  st.metrics = std::move(metrics);
  st.registry = registry;
  // Validate only against a state that has applied the whole log as it was
  // when we started: after a restart, commands must see every acknowledged
  // write (else a version could be handed out twice). Detached: we may wait.
  uint64_t target = 0;
  {
    // Ask the log itself: it may still be opening (its init runs on its own
    // thread), so registry->log_end could be stale.
    auto log = caf::actor_cast<event_log_actor>(registry->handle("eventlog"));
    caf::scoped_actor tmp{self->system()};
    bool known = false;
    if (log)
      tmp->request(log, 60s, caf::get_atom::value, atom::end::value)
        .receive([&](uint64_t end) { target = end; known = true; },
                 [&](caf::error&) {});
    if (!known) {
      self->quit(make_error(ec::unavailable, "the event log did not answer"));
      return catalog_actor::behavior_type::make_empty_behavior();
    }
  }
  auto deadline = std::chrono::steady_clock::now() + 120s;
  while (st.projected->checkpoint() < target
         && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  if (st.projected->checkpoint() < target) {
    self->quit(make_error(ec::unavailable,
                          "the catalog state did not catch up with the log"));
    return catalog_actor::behavior_type::make_empty_behavior();
  }
  return {
    [self](atom::register_, const std::string& body, const std::string& user)
      -> caf::result<std::string> {
      auto j = catalog_state::parse(body);
      if (!j)
        return j.error();
      return self->state.run(user, [&](const catalog::state_view& s) {
        return catalog::register_entity(*j, user, s);
      });
    },
    [self](atom::edit, const std::string& urn, const std::string& body,
           int64_t if_match, const std::string& user) -> caf::result<std::string> {
      auto j = catalog_state::parse(body);
      if (!j)
        return j.error();
      std::optional<uint64_t> expected;
      if (if_match >= 0)
        expected = static_cast<uint64_t>(if_match);
      return self->state.run(user, [&](const catalog::state_view& s) {
        return catalog::edit_entity(urn, *j, expected, user, s);
      });
    },
    [self](atom::remove, const std::string& urn, int64_t if_match, bool cascade,
           const std::string& user) -> caf::result<std::string> {
      std::optional<uint64_t> expected;
      if (if_match >= 0)
        expected = static_cast<uint64_t>(if_match);
      return self->state.run(user, [&](const catalog::state_view& s) {
        return catalog::remove_entity(urn, expected, cascade, user, s);
      });
    },
    [self](atom::user, const std::string& body, const std::string& admin)
      -> caf::result<std::string> {
      auto j = catalog_state::parse(body);
      if (!j)
        return j.error();
      return self->state.run(admin, [&](const catalog::state_view& s) {
        return catalog::create_user(*j, admin, s);
      });
    },
    [self](atom::token, const std::string& body, const std::string& admin)
      -> caf::result<std::string> {
      auto j = catalog_state::parse(body);
      if (!j)
        return j.error();
      return self->state.run(admin, [&](const catalog::state_view& s) {
        return catalog::issue_token(*j, admin, s);
      });
    },
    [self](atom::revoke, const std::string& token_id, const std::string& admin)
      -> caf::result<std::string> {
      return self->state.run(admin, [&](const catalog::state_view& s) {
        return catalog::revoke_token(token_id, admin, s);
      });
    },
    [self](atom::sync, const std::string& source, const std::string& desired,
           const std::string& scope, const std::string& user)
      -> caf::result<std::string> {
      auto d = catalog_state::parse(desired);
      auto sc = catalog_state::parse(scope);
      if (!d || !sc || !d->is_array() || !sc->is_array())
        return make_error(ec::bad_request, "sync needs JSON arrays");
      std::vector<std::string> scope_urns;
      for (auto& u : *sc)
        if (u.is_string())
          scope_urns.push_back(u.get<std::string>());
      auto wanted = desired_from_json(*d);
      return self->state.run(user, [&](const catalog::state_view& s)
                                     -> caf::expected<catalog::command_result> {
        auto res = sync_source(source, wanted, scope_urns, user, s);
        if (!res)
          return res.error();
        catalog::command_result out;
        out.reply = nlohmann::json{{"source", source}, {"added", res->added},
                                   {"changed", res->changed},
                                   {"removed", res->removed},
                                   {"events", res->events.size()}};
        out.events = std::move(res->events);
        return out;
      });
    },
    [self](atom::attributes, const std::string& urn, const std::string& attrs,
           const std::string& user) -> caf::result<std::string> {
      auto a = catalog_state::parse(attrs);
      if (!a || !a->is_object())
        return make_error(ec::bad_request, "attributes must be a JSON object");
      return self->state.run(user, [&](const catalog::state_view& s)
                                     -> caf::expected<catalog::command_result> {
        auto cur = s.entity(urn);
        if (!cur)
          return cur.error();
        if (!*cur)
          return make_error(ec::not_found, "no entity " + urn);
        catalog::command_result out;
        auto version = (**cur).value("version", uint64_t{0});
        if ((**cur).value("attributes", nlohmann::json::object()) == *a) {
          out.reply = nlohmann::json{{"urn", urn}, {"version", version}, {"changed", false}};
          return out;
        }
        nlohmann::json payload{{"user", user}, {"urn", urn},
                               {"version", version + 1},
                               {"previous_version", version},
                               {"fields", {{"attributes", *a}}}};
        out.events.push_back({event_tag("EntityEdited"), urn, payload.dump()});
        out.reply = nlohmann::json{{"urn", urn}, {"version", version + 1}, {"changed", true}};
        return out;
      });
    },
  };
}

} // namespace

runtime::child_spec
catalog_child(std::shared_ptr<catalog::catalog_projection> state) {
  return {"catalog", [state](const runtime::child_context& ctx) {
            auto h = ctx.system->spawn<caf::detached>(catalog_impl, state,
                                                      ctx.metrics, ctx.registry);
            return caf::actor_cast<caf::actor>(h);
          }};
}

} // namespace almanac::catalog_service
