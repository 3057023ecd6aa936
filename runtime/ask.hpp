#pragma once

// Requests from threads outside the actor system: ask_then for the HTTP
// gateway (never blocks), ask for the CLI and tests (waits). A short-lived
// event-based actor makes the request and calls back or fulfils a promise, so
// no blocking actor is ever created on a foreign thread.
// GOTCHA (CAF 0.17.6): any spawn from a foreign thread leaves a thread-local
// reference to the system's logger behind; ~actor_system then waits forever
// for long-lived threads (cpprest's pool). release_thread() drops it.

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/expected.hpp>
#include <caf/logger.hpp>

#include <chrono>
#include <future>
#include <memory>

namespace almanac::runtime {

/// Drops the calling foreign thread's hold on the actor system (see above).
inline void release_thread() {
  caf::logger::set_current_actor_system(nullptr);
}

/// Sends `xs...` to `dest` and waits for a reply of type R (or an error; the
/// request fails with a timeout error after `timeout`).
template <class R, class Handle, class... Ts>
caf::expected<R> ask(caf::actor_system& sys, const Handle& dest,
                     std::chrono::milliseconds timeout, Ts... xs) {
  auto done = std::make_shared<std::promise<caf::expected<R>>>();
  auto result = done->get_future();
  sys.spawn([=](caf::event_based_actor* self) {
    self->request(dest, timeout, xs...)
      .then([=](R& r) { done->set_value(std::move(r)); },
            [=](caf::error& e) { done->set_value(std::move(e)); });
  });
  release_thread();
  return result.get();
}

/// Sends `xs...` to `dest` and calls `then` with the reply of type R (or the
/// error; a timeout error after `timeout`). Never blocks the caller: `then`
/// runs later on an actor thread of `sys` and must not block either.
template <class R, class Handle, class F, class... Ts>
void ask_then(caf::actor_system& sys, const Handle& dest,
              std::chrono::milliseconds timeout, F then, Ts... xs) {
  auto fn = std::make_shared<F>(std::move(then));
  sys.spawn([=](caf::event_based_actor* self) {
    auto done = std::make_shared<bool>(false);
    // Answers once, then ends. GOTCHA (CAF 0.17.6): a monitor outlives the
    // monitoring actor; its entry in `dest` holds a weak reference that keeps
    // the dead asker's memory (about 1 KB) and slows every later monitor of
    // `dest`: 21,547 of them leaked in 90 s of soak. So demonitor first.
    auto finish = [=](caf::expected<R> result, bool dest_down) {
      if (*done)
        return;
      *done = true;
      if (!dest_down)
        self->demonitor(dest.address());
      (*fn)(std::move(result));
      self->quit();
    };
    // A destination that goes away (a restart, the node stopping) may never
    // answer requests it was holding (long polls): fail at once then.
    self->monitor(dest);
    self->set_down_handler([=](caf::down_msg&) {
      finish(caf::expected<R>{caf::make_error(caf::sec::request_receiver_down)}, true);
    });
    self->request(dest, timeout, xs...)
      .then([=](R& r) { finish(caf::expected<R>{std::move(r)}, false); },
            [=](caf::error& e) { finish(caf::expected<R>{std::move(e)}, false); });
  });
  release_thread();
}

} // namespace almanac::runtime
