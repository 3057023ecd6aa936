#include "actors/catalog/catalog_actor.hpp"
#include "messages/log_limit.hpp"

#include "actors/catalog/accounts.hpp"
#include "actors/catalog/commands.hpp"
#include "actors/catalog/pending_state.hpp"
#include "actors/catalog/sync.hpp"
#include "messages/actors.hpp"
#include "messages/error.hpp"
#include "messages/json_guard.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>


namespace almanac::catalog {

namespace {

using namespace std::chrono_literals;

struct catalog_actor_state {
  static constexpr const char* name = "catalog";

  catalog_actor::stateful_pointer<catalog_actor_state> self = nullptr;
  std::shared_ptr<catalog::catalog_projection> projected;
  std::unique_ptr<pending_state> pending;
  std::shared_ptr<runtime::actor_metrics> metrics;
  runtime::actor_registry* registry = nullptr;
  uint64_t next_seq = 0;
  int appending = 0;       ///< Appends sent and not yet answered.
  bool resyncing = false;  ///< A write was refused: revalidate once caught up.

  // Parses a JSON body; an empty body is an empty object.
  static caf::expected<nlohmann::json> parse(const std::string& body) {
    if (body.empty())
      return nlohmann::json::object();
    return parse_json_guarded(body, "the body");
  }

  // Validates with `validate`, appends its events, replies once durable.
  template <class Validate>
  caf::result<std::string> run(const std::string& user, Validate validate) {
    return run_as<std::string>(user, std::move(validate),
                               [](const nlohmann::json& reply) { return reply.dump(); });
  }

  // run(), answering with `convert(reply)` (the command's reply with the
  // offset of its last event).
  template <class R, class Validate, class Convert>
  caf::result<R> run_as(const std::string& user, Validate validate, Convert convert) {
    metrics->processed.fetch_add(1, std::memory_order_relaxed);
    if (resyncing) {
      if (appending > 0 || projected->checkpoint() < registry->log_end.load())
        return make_error(ec::unavailable,
                          "the catalog is catching up after a failed write; try again");
      pending->clear();
      resyncing = false;
    }
    pending->trim(projected->checkpoint());
    // A command that throws (data no validator foresaw) is refused; it never
    // takes the catalog actor down with it.
    caf::expected<catalog::command_result> res = make_error(ec::unspecified);
    try {
      res = validate(static_cast<const catalog::state_view&>(*pending));
    } catch (const std::exception& e) {
      spdlog::error("[catalog] a command failed: {}", e.what());
      return make_error(ec::bad_request, std::string{"the command cannot be applied: "}
                                           + e.what());
    }
    if (!res)
      return res.error();
    auto reply = std::move(res->reply);
    if (res->events.empty()) {
      auto end = registry->log_end.load();
      reply["offset"] = end > 0 ? end - 1 : 0;
      return convert(reply);
    }
    auto log = registry->find(names::eventlog);
    if (!log)
      return make_error(ec::unavailable, "the event log is not running");
    auto seq = next_seq++;
    pending->add(seq, res->events, user);
    ++appending;
    auto rp = self->make_response_promise<R>();
    self->request(log, 30s, atom::append::value, std::move(res->events))
      .then(
        [this, seq, rp, reply, convert](append_ack& ack) mutable {
          --appending;
          pending->acked(seq, ack.end_offset);
          reply["offset"] = ack.end_offset - 1;
          rp.deliver(convert(reply));
        },
        [this, rp](caf::error& err) mutable {
          --appending;
          if (has_code(err, ec::storage_full) || has_code(err, ec::io_error)) {
            // The log took none of it (a failed write is taken back). Stay
            // up (restarts would escalate while the disk is full), refuse
            // commands until the appends in flight are answered and the
            // catalog state has caught up, then validate afresh.
            static log_limit limit;
            if (uint64_t held = 0; limit.allow(held))
              spdlog::warn("[catalog] append refused by the log: {} ({} more in the last 10 s)",
                           render(err), held);
            rp.deliver(err);
            resyncing = true;
            return;
          }
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
catalog_impl(catalog_actor::stateful_pointer<catalog_actor_state> self,
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
    auto log = registry->find(names::eventlog);
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
  // The projection's driver answers once it has applied the log up to
  // `target` (it starts before us in the storage subtree).
  if (st.projected->checkpoint() < target) {
    auto driver = registry->find(names::catalog_state);
    caf::scoped_actor tmp{self->system()};
    bool caught_up = false;
    if (driver)
      tmp->request(driver, 125s, atom::wait::value, target, uint64_t{120000})
        .receive([&](uint64_t) { caught_up = true; }, [&](caf::error&) {});
    if (!caught_up) {
      self->quit(make_error(ec::unavailable,
                            "the catalog state did not catch up with the log"));
      return catalog_actor::behavior_type::make_empty_behavior();
    }
  }
  return {
    [self](atom::register_, const std::string& body, const std::string& user)
      -> caf::result<std::string> {
      auto j = catalog_actor_state::parse(body);
      if (!j)
        return j.error();
      return self->state.run(user, [&](const catalog::state_view& s) {
        return catalog::register_entity(*j, user, s);
      });
    },
    [self](atom::edit, const std::string& urn, const std::string& body,
           int64_t if_match, const std::string& user) -> caf::result<std::string> {
      auto j = catalog_actor_state::parse(body);
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
      auto j = catalog_actor_state::parse(body);
      if (!j)
        return j.error();
      return self->state.run(admin, [&](const catalog::state_view& s) {
        return catalog::create_user(*j, admin, s);
      });
    },
    [self](atom::token, const std::string& body, const std::string& admin)
      -> caf::result<std::string> {
      auto j = catalog_actor_state::parse(body);
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
    [self](atom::sync, const std::string& source, std::vector<desired_entity>& wanted,
           std::vector<std::string>& scope_urns,
           const std::string& user) -> caf::result<sync_reply> {
      return self->state.run_as<sync_reply>(
        user,
        [&](const catalog::state_view& s) -> caf::expected<catalog::command_result> {
          auto res = sync_source(source, wanted, scope_urns, user, s);
          if (!res)
            return res.error();
          catalog::command_result out;
          out.reply = nlohmann::json{{"added", res->added},
                                     {"changed", res->changed},
                                     {"removed", res->removed},
                                     {"events", res->events.size()}};
          out.events = std::move(res->events);
          return out;
        },
        [source](const nlohmann::json& reply) {
          return sync_reply{source, reply["added"].get<uint64_t>(),
                            reply["changed"].get<uint64_t>(),
                            reply["removed"].get<uint64_t>(),
                            reply["events"].get<uint64_t>(),
                            reply["offset"].get<uint64_t>()};
        });
    },
    [self](atom::attributes, const std::string& urn, const std::string& attrs,
           const std::string& user) -> caf::result<std::string> {
      auto a = catalog_actor_state::parse(attrs);
      if (!a || !a->is_object())
        return make_error(ec::bad_request, "attributes must be a JSON object");
      return self->state.run(user, [&](const catalog::state_view& s) {
        return catalog::replace_attributes(urn, *a, user, s);
      });
    },
    [self](atom::source, atom::register_, const std::string& body,
           const std::string& user) -> caf::result<std::string> {
      auto j = catalog_actor_state::parse(body);
      if (!j)
        return j.error();
      return self->state.run(user, [&](const catalog::state_view& s) {
        return catalog::register_source(*j, user, s);
      });
    },
    [self](atom::source, atom::attributes, const std::string& urn,
           const std::string& attrs, const std::string& user) -> caf::result<std::string> {
      auto a = catalog_actor_state::parse(attrs);
      if (!a || !a->is_object())
        return make_error(ec::bad_request, "attributes must be a JSON object");
      return self->state.run(user, [&](const catalog::state_view& s) {
        return catalog::replace_source_attributes(urn, *a, user, s);
      });
    },
    [self](atom::source, atom::remove, const std::string& urn,
           const std::string& user) -> caf::result<std::string> {
      return self->state.run(user, [&](const catalog::state_view& s) {
        return catalog::remove_source(urn, user, s);
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

} // namespace almanac::catalog
