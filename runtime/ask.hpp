#pragma once

// Synchronous requests from threads outside the actor system (HTTP worker
// threads, the CLI). A short-lived event-based actor makes the request and
// fulfils a promise, so no blocking actor is ever created on a foreign thread
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

} // namespace almanac::runtime
