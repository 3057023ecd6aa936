#pragma once

// Building blocks of asynchronous routes: ask an actor found in the registry
// and answer when it replies, wait for a projection (read-your-writes)
// without holding a thread. Callbacks run on actor threads; they may read
// projections and answer, never wait.

#include "actors/http/message.hpp"
#include "messages/actors.hpp"
#include "messages/error.hpp"
#include "runtime/ask.hpp"
#include "runtime/node_context.hpp"

#include <caf/actor_cast.hpp>

#include <chrono>
#include <functional>
#include <string>

namespace almanac::http {

/// http.request_timeout_ms of `node`.
inline std::chrono::milliseconds request_timeout(runtime::node_context& node) {
  return std::chrono::milliseconds(node.settings.get_uint("http.request_timeout_ms"));
}

/// An actor's failure to answer as a client should see it: 503 for an actor
/// that is restarting or late, else the error itself.
inline caf::error as_unavailable(caf::error err, const std::string& who) {
  if (err == caf::sec::request_receiver_down || err == caf::sec::request_timeout)
    return make_error(ec::unavailable, who + " did not answer in time; try again");
  return err;
}

/// Asks the actor registered as `name` and calls `then` with its reply of
/// type R (or the error, already mapped by as_unavailable).
template <class R, class Handle, class F, class... Ts>
void ask_actor(runtime::node_context& node, const std::string& name,
               std::chrono::milliseconds timeout, F then, Ts... xs) {
  auto h = caf::actor_cast<Handle>(node.registry.handle(name));
  if (!h)
    return then(caf::expected<R>{
      make_error(ec::unavailable, name + " is restarting; try again")});
  runtime::ask_then<R>(
    *node.system, h, timeout,
    [then = std::move(then), name](caf::expected<R> r) mutable {
      if (!r)
        return then(caf::expected<R>{as_unavailable(r.error(), name)});
      then(std::move(r));
    },
    std::move(xs)...);
}

/// ask_actor by a typed name (messages/actors.hpp, `names::`).
template <class R, class Handle, class F, class... Ts>
void ask_actor(runtime::node_context& node, actor_name<Handle> name,
               std::chrono::milliseconds timeout, F then, Ts... xs) {
  ask_actor<R, Handle>(node, std::string{name.name}, timeout, std::move(then),
                       std::move(xs)...);
}

/// Asks the actor `name` for a typed reply R and answers with its JSON
/// (R's to_json, messages/) at `status`.
template <class R, class Handle, class... Ts>
void ask_reply(runtime::node_context& node, actor_name<Handle> name, int status,
               responder reply, Ts... xs) {
  ask_actor<R>(
    node, name, request_timeout(node),
    [reply = std::move(reply), status](caf::expected<R> r) {
      if (!r)
        return reply(error_response(r.error()));
      reply(json_response(status, nlohmann::json(*r)));
    },
    std::move(xs)...);
}

/// Asks the actor `name` for a typed reply R and calls `then` with the
/// reply's JSON (or the error).
template <class R, class Handle, class F, class... Ts>
void ask_reply_then(runtime::node_context& node, actor_name<Handle> name, F then,
                    Ts... xs) {
  ask_actor<R>(
    node, name, request_timeout(node),
    [then = std::move(then)](caf::expected<R> r) mutable {
      if (!r)
        return then(caf::expected<nlohmann::json>{r.error()});
      then(caf::expected<nlohmann::json>{nlohmann::json(*r)});
    },
    std::move(xs)...);
}

/// Calls `then` (with none or the error) once the projection registered as
/// `name` has applied `offset`, waiting at most `timeout`.
inline void wait_applied(runtime::node_context& node, const std::string& name,
                         uint64_t offset, std::chrono::milliseconds timeout,
                         std::function<void(caf::error)> then) {
  ask_actor<uint64_t, projection_actor>(
    node, name, timeout + std::chrono::seconds(1),
    [then = std::move(then)](caf::expected<uint64_t> r) {
      then(r ? caf::none : r.error());
    },
    atom::wait::value, offset + 1, static_cast<uint64_t>(timeout.count()));
}

/// Honors `?min_offset=N` before a read of projection `name`: calls `then`
/// at once without the parameter, else once the projection has applied N.
inline void after_min_offset(runtime::node_context& node, const std::string& name,
                             const request& req, std::function<void(caf::error)> then) {
  auto min = query_uint(req, "min_offset", UINT64_MAX, UINT64_MAX - 1);
  if (!min)
    return then(min.error());
  if (*min == UINT64_MAX)
    return then(caf::none);
  wait_applied(node, name, *min, request_timeout(node), std::move(then));
}

/// Answers `read()` after honoring ?min_offset on projection `name`. The
/// read runs on a handler thread (it may block on a store), never on the
/// actor thread that reported the projection caught up.
inline void read_after_min_offset(runtime::node_context& node, const std::string& name,
                                  request& req, responder reply,
                                  std::function<response()> read) {
  auto answer = [reply, read]() {
    try {
      reply(read());
    } catch (const std::exception& e) {
      reply(error_response(make_error(ec::unspecified, e.what())));
    }
  };
  if (!req.query.count("min_offset"))
    return answer(); // on the handler thread already
  after_min_offset(node, name, req,
                   [reply, answer, resume = req.resume](caf::error err) {
                     if (err)
                       return reply(error_response(err));
                     if (resume)
                       resume(answer);
                     else
                       answer();
                   });
}

} // namespace almanac::http
