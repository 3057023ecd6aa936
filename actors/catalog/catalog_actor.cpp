#include "actors/catalog/catalog_actor.hpp"
#include "messages/log_limit.hpp"

#include "actors/catalog/domain/accounts.hpp"
#include "actors/catalog/catalog_behavior.hpp"
#include "actors/catalog/domain/sync.hpp"
#include "messages/error.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>


namespace almanac::catalog {

using namespace std::chrono_literals;

template <class R, class Validate>
caf::result<R> catalog_actor_state::run(const std::string& user, Validate validate) {
  metrics->processed.fetch_add(1, std::memory_order_relaxed);
  auto rp = self->make_response_promise<R>();
  if (!ready)
    waiting.push_back({[this, rp, user, validate]() mutable { execute(rp, user, validate); },
                       [rp](const caf::error& err) mutable { rp.deliver(err); }});
  else
    execute(rp, user, validate);
  return rp;
}

void catalog_actor_state::start_serving() {
  ready = true;
  auto queued = std::move(waiting);
  waiting.clear();
  for (auto& w : queued)
    w.run();
}

void catalog_actor_state::give_up(const caf::error& err) {
  auto queued = std::move(waiting);
  waiting.clear();
  for (auto& w : queued)
    w.refuse(err);
  self->quit(err);
}

template <class R, class Validate>
void catalog_actor_state::execute(caf::typed_response_promise<R> rp,
                                  const std::string& user, Validate& validate) {
  if (resyncing) {
    // Caught up with everything the log had written when the write failed,
    // not only with what sync mode lets readers see: a write in doubt (the
    // standby did not confirm it) becomes visible later, and a command
    // validated without it must not reach the log after it does. (Not the
    // log's current end: other writers keep moving that.)
    if (appending > 0 || projected->checkpoint() < resync_target) {
      if (resync_target > registry->log_end.load())
        rp.deliver(make_error(ec::unavailable,
                              "writes are refused until the standby has every record "
                              "(ha.mode = sync): the event log holds records it has "
                              "not confirmed; try again"));
      else
        rp.deliver(make_error(ec::unavailable,
                              "the catalog is catching up after a failed write; try again"));
      return;
    }
    pending->clear();
    resyncing = false;
    resync_target = 0;
  }
  pending->trim(projected->checkpoint());
  // A command that throws (data no validator foresaw) is refused; it never
  // takes the catalog actor down with it.
  caf::expected<catalog::command_result<R>> res = make_error(ec::unspecified);
  try {
    res = validate(static_cast<const catalog::state_view&>(*pending));
  } catch (const std::exception& e) {
    spdlog::error("[catalog] a command failed: {}", e.what());
    res = make_error(ec::bad_request, std::string{"the command cannot be applied: "} + e.what());
  }
  if (!res) {
    rp.deliver(res.error());
    return;
  }
  auto reply = std::move(res->reply);
  if (res->events.empty()) {
    auto end = registry->log_end.load();
    reply.offset = end > 0 ? end - 1 : 0;
    rp.deliver(std::move(reply));
    return;
  }
  auto log = registry->find(names::eventlog);
  if (!log) {
    rp.deliver(make_error(ec::unavailable, "the event log is not running"));
    return;
  }
  auto seq = next_seq++;
  pending->add(seq, res->events, user);
  ++appending;
  self->request(log, 30s, atom::append::value, std::move(res->events))
    .then(
      [this, seq, rp, reply](append_ack& ack) mutable {
        --appending;
        pending->acked(seq, ack.end_offset);
        // While resyncing, the overlay is dropped once caught up: caught up
        // must then include this write too.
        if (resyncing)
          resync_target = std::max(resync_target, ack.end_offset);
        reply.offset = ack.end_offset - 1;
        rp.deliver(std::move(reply));
      },
      [this, rp](caf::error& err) mutable {
        --appending;
        if (has_code(err, ec::storage_full) || has_code(err, ec::io_error)
            || has_code(err, ec::unavailable)) {
          // (unavailable: sync mode, the standby did not confirm; the
          // record may be in the log, visible once the standby has it.)
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
          resync_target = std::max({resync_target, registry->log_end.load(),
                                    registry->log_written_end.load()});
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
}

namespace {

std::optional<uint64_t> expected_version(int64_t if_match) {
  if (if_match < 0)
    return std::nullopt;
  return static_cast<uint64_t>(if_match);
}

// Start-up: ask the log itself for its end (it may still be opening, so
// registry->log_end could be stale), then let the projection's driver
// answer once it has applied that end (it starts before us in the storage
// subtree). Anything else quits, and the supervisor tries again.
void catch_up(catalog_actor::stateful_pointer<catalog_actor_state> self) {
  auto log = self->state.registry->find(names::eventlog);
  if (!log)
    return self->state.give_up(make_error(ec::unavailable, "the event log is not running"));
  self->request(log, 60s, caf::get_atom::value, atom::end::value)
    .then(
      [self](uint64_t target) {
        auto& st = self->state;
        if (st.projected->checkpoint() >= target)
          return st.start_serving();
        auto driver = st.registry->find(names::catalog_state);
        if (!driver)
          return st.give_up(make_error(ec::unavailable, "the catalog state is not running"));
        self->request(driver, 125s, atom::wait::value, target, uint64_t{120000})
          .then([self](uint64_t) { self->state.start_serving(); },
                [self](caf::error& err) {
                  self->state.give_up(make_error(ec::unavailable,
                                        "the catalog state did not catch up with the log: "
                                          + render(err)));
                });
      },
      [self](caf::error& err) {
        self->state.give_up(
          make_error(ec::unavailable, "the event log did not answer: " + render(err)));
      });
}

} // namespace

catalog_actor::behavior_type
catalog_behavior(catalog_actor::stateful_pointer<catalog_actor_state> self,
                 std::shared_ptr<catalog::catalog_projection> projected,
                 std::shared_ptr<runtime::actor_metrics> metrics,
                 runtime::actor_registry* registry) {
  auto& st = self->state;
  st.self = self;
  st.projected = std::move(projected);
  st.pending = std::make_unique<pending_state>(*st.projected);
  st.metrics = std::move(metrics);
  st.registry = registry;
  catch_up(self);
  return {
    [self](atom::register_, json_body& body, const std::string& user)
      -> caf::result<register_reply> {
      return self->state.run<register_reply>(
        user, [body = std::move(body.value), user](const catalog::state_view& s) {
          return catalog::register_entity(body, user, s);
        });
    },
    [self](atom::edit, const std::string& urn, json_body& body, int64_t if_match,
           const std::string& user) -> caf::result<edit_reply> {
      return self->state.run<edit_reply>(
        user, [urn, body = std::move(body.value), expected = expected_version(if_match),
               user](const catalog::state_view& s) {
          return catalog::edit_entity(urn, body, expected, user, s);
        });
    },
    [self](atom::remove, const std::string& urn, int64_t if_match, bool cascade,
           const std::string& user) -> caf::result<remove_reply> {
      return self->state.run<remove_reply>(
        user, [urn, expected = expected_version(if_match), cascade,
               user](const catalog::state_view& s) {
          return catalog::remove_entity(urn, expected, cascade, user, s);
        });
    },
    [self](atom::user, json_body& body, const std::string& admin)
      -> caf::result<token_reply> {
      return self->state.run<token_reply>(
        admin, [body = std::move(body.value), admin](const catalog::state_view& s) {
          return catalog::create_user(body, admin, s);
        });
    },
    [self](atom::token, json_body& body, const std::string& admin)
      -> caf::result<token_reply> {
      return self->state.run<token_reply>(
        admin, [body = std::move(body.value), admin](const catalog::state_view& s) {
          return catalog::issue_token(body, admin, s);
        });
    },
    [self](atom::revoke, const std::string& token_id, const std::string& admin)
      -> caf::result<revoke_reply> {
      return self->state.run<revoke_reply>(
        admin, [token_id, admin](const catalog::state_view& s) {
          return catalog::revoke_token(token_id, admin, s);
        });
    },
    [self](atom::sync, const std::string& source, std::vector<desired_entity>& wanted,
           std::vector<std::string>& scope_urns,
           const std::string& user) -> caf::result<sync_reply> {
      return self->state.run<sync_reply>(
        user,
        [source, wanted = std::move(wanted), scope_urns = std::move(scope_urns),
         user](const catalog::state_view& s)
          -> caf::expected<catalog::command_result<sync_reply>> {
          auto res = sync_source(source, wanted, scope_urns, user, s);
          if (!res)
            return res.error();
          catalog::command_result<sync_reply> out;
          out.reply = sync_reply{source, res->added, res->changed, res->removed,
                                 res->events.size(), 0};
          out.events = std::move(res->events);
          return out;
        });
    },
    [self](atom::attributes, const std::string& urn, json_body& attrs,
           const std::string& user) -> caf::result<edit_reply> {
      return self->state.run<edit_reply>(
        user, [urn, attrs = std::move(attrs.value), user](const catalog::state_view& s) {
          return catalog::replace_attributes(urn, attrs, user, s);
        });
    },
    [self](atom::source, atom::register_, json_body& body, const std::string& user)
      -> caf::result<register_reply> {
      return self->state.run<register_reply>(
        user, [body = std::move(body.value), user](const catalog::state_view& s) {
          return catalog::register_source(body, user, s);
        });
    },
    [self](atom::source, atom::attributes, const std::string& urn, json_body& attrs,
           const std::string& user) -> caf::result<edit_reply> {
      return self->state.run<edit_reply>(
        user, [urn, attrs = std::move(attrs.value), user](const catalog::state_view& s) {
          return catalog::replace_source_attributes(urn, attrs, user, s);
        });
    },
    [self](atom::source, atom::remove, const std::string& urn,
           const std::string& user) -> caf::result<remove_reply> {
      return self->state.run<remove_reply>(
        user, [urn, user](const catalog::state_view& s) {
          return catalog::remove_source(urn, user, s);
        });
    },
  };
}

runtime::child_spec
catalog_child(std::shared_ptr<catalog::catalog_projection> state) {
  return {"catalog", [state](const runtime::child_context& ctx) {
            auto h = ctx.system->spawn<caf::detached>(catalog_behavior, state,
                                                      ctx.metrics, ctx.registry);
            return caf::actor_cast<caf::actor>(h);
          }};
}

} // namespace almanac::catalog
