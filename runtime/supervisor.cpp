#include "runtime/supervisor.hpp"

#include "messages/actors.hpp"
#include "messages/error.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <deque>
#include <optional>

namespace almanac::runtime {

std::chrono::milliseconds restart_policy::backoff(size_t n) const {
  auto delay = backoff_initial;
  for (size_t i = 1; i < n && delay < backoff_max; ++i)
    delay *= 2;
  return std::min(delay, backoff_max);
}

namespace {

enum class phase { down, running, stopping };

struct child_slot {
  child_spec spec;
  caf::actor handle;
  phase ph = phase::down;
  bool due = false;        ///< A (re)start is due once the group is down.
  uint64_t generation = 0; ///< Invalidates stale start and grace ticks.
};

struct supervisor_state {
  static constexpr const char* name = "supervisor";

  supervisor_actor::stateful_pointer<supervisor_state> self = nullptr;
  std::string my_name;
  supervisor_spec spec;
  actor_registry* registry = nullptr;
  std::shared_ptr<actor_metrics> metrics;
  std::vector<child_slot> children;
  std::deque<caf::actor_clock::time_point> recent; ///< Restarts in window.
  std::shared_ptr<std::vector<caf::actor>> live;   ///< Killed if we die.
  bool stopping = false;
  caf::error stop_reason;
  size_t stop_cursor = 0;

  void count_message() {
    metrics->processed.fetch_add(1, std::memory_order_relaxed);
  }

  void sync_live() {
    live->clear();
    for (auto& c : children)
      if (c.handle)
        live->push_back(c.handle);
  }

  // The group restarted together with child i.
  std::pair<size_t, size_t> group(size_t i) const {
    if (spec.strat == strategy::rest_for_one)
      return {i, children.size()};
    return {i, i + 1};
  }

  void start_child(size_t i) {
    auto& c = children[i];
    registry->declare(c.spec.name, my_name, c.spec.kind,
                      caf::actor_cast<caf::strong_actor_ptr>(self));
    child_context ctx{&self->system(), registry, c.spec.name,
                      registry->metrics(c.spec.name)};
    caf::actor handle;
    std::string failure;
    try {
      handle = c.spec.start(ctx);
    } catch (const std::exception& e) {
      failure = e.what();
    }
    if (!handle) {
      if (failure.empty())
        failure = "start failed";
      spdlog::error("[{}] could not start {}: {}", my_name, c.spec.name,
                    failure);
      registry->failed(c.spec.name, failure, actor_state::restarting);
      c.ph = phase::down;
      on_crash(i, failure);
      return;
    }
    self->monitor(handle);
    c.handle = handle;
    c.ph = phase::running;
    registry->started(c.spec.name,
                      caf::actor_cast<caf::strong_actor_ptr>(handle));
    sync_live();
    spdlog::debug("[{}] started {}", my_name, c.spec.name);
  }

  void stop_child(size_t i) {
    auto& c = children[i];
    if (c.ph != phase::running)
      return;
    c.ph = phase::stopping;
    self->send_exit(c.handle, caf::exit_reason::user_shutdown);
    self->delayed_send(self, spec.policy.shutdown_grace, atom::grace::value,
                       static_cast<uint64_t>(i), c.generation);
  }

  // Starts every due group whose members have all stopped.
  void start_due() {
    if (stopping)
      return;
    for (size_t i = 0; i < children.size(); ++i) {
      if (!children[i].due)
        continue;
      auto [first, last] = group(i);
      bool all_down = true;
      for (auto j = first; j < last; ++j)
        all_down &= children[j].ph == phase::down;
      if (!all_down)
        continue;
      children[i].due = false;
      for (auto j = first; j < last; ++j) {
        if (children[j].ph != phase::down)
          continue;
        registry->restarted(children[j].spec.name);
        start_child(j);
        if (stopping)
          return;
      }
    }
  }

  // Stops the rest of i's group and marks i's restart as due after `delay`.
  void schedule_restart(size_t i, std::chrono::milliseconds delay) {
    auto [first, last] = group(i);
    for (auto j = last; j-- > first;) {
      stop_child(j);
      registry->set_state(children[j].spec.name, actor_state::restarting);
    }
    auto gen = ++children[i].generation;
    if (delay.count() == 0) {
      children[i].due = true;
      start_due();
    } else {
      self->delayed_send(self, delay, atom::start::value,
                         static_cast<uint64_t>(i), gen);
    }
  }

  void on_crash(size_t i, const std::string& reason) {
    auto now = self->clock().now();
    recent.push_back(now);
    while (!recent.empty() && now - recent.front() > spec.policy.window)
      recent.pop_front();
    if (recent.size() > spec.policy.max_restarts) {
      auto msg = "child '" + children[i].spec.name + "' failed "
                 + std::to_string(recent.size()) + " times within "
                 + std::to_string(spec.policy.window.count() / 1000)
                 + " s (limit " + std::to_string(spec.policy.max_restarts)
                 + "); last error: " + reason;
      spdlog::error("[{}] escalating: {}", my_name, msg);
      registry->failed(children[i].spec.name, reason, actor_state::failed);
      begin_shutdown(make_error(ec::escalated, my_name + ": " + msg));
      return;
    }
    auto delay = spec.policy.backoff(recent.size());
    spdlog::warn("[{}] {} failed ({}); restart {} of {} in {} ms", my_name,
                 children[i].spec.name, reason, recent.size(),
                 spec.policy.max_restarts, delay.count());
    schedule_restart(i, delay);
  }

  void on_down(const caf::down_msg& dm) {
    count_message();
    size_t i = 0;
    for (; i < children.size(); ++i)
      if (children[i].handle && children[i].handle.address() == dm.source)
        break;
    if (i == children.size())
      return;
    auto& c = children[i];
    auto was = c.ph;
    c.ph = phase::down;
    c.handle = nullptr;
    ++c.generation;
    sync_live();
    if (stopping) {
      registry->set_state(c.spec.name, actor_state::stopped);
      continue_shutdown();
      return;
    }
    if (was == phase::stopping) {
      start_due();
      return;
    }
    auto reason = dm.reason ? render(dm.reason) : std::string{"exited"};
    registry->failed(c.spec.name, reason, actor_state::restarting);
    on_crash(i, reason);
  }

  void begin_shutdown(caf::error reason) {
    if (stopping)
      return;
    stopping = true;
    stop_reason = std::move(reason);
    stop_cursor = children.size();
    continue_shutdown();
  }

  void continue_shutdown() {
    while (stop_cursor > 0) {
      auto i = stop_cursor - 1;
      auto& c = children[i];
      if (c.ph == phase::running) {
        stop_child(i);
        return;
      }
      if (c.ph == phase::stopping)
        return;
      registry->set_state(c.spec.name, actor_state::stopped);
      --stop_cursor;
    }
    spdlog::debug("[{}] all children stopped", my_name);
    self->quit(stop_reason);
  }
};

supervisor_actor::behavior_type
supervisor_impl(supervisor_actor::stateful_pointer<supervisor_state> self,
                supervisor_spec spec, actor_registry* registry) {
  auto& st = self->state;
  st.self = self;
  st.my_name = spec.name;
  st.registry = registry;
  st.metrics = registry->metrics(spec.name);
  st.live = std::make_shared<std::vector<caf::actor>>();
  for (auto& c : spec.children)
    st.children.push_back(child_slot{c, {}, phase::down, false, 0});
  st.spec = std::move(spec);
  // If we die without an ordered shutdown (kill), take the children along.
  self->attach_functor([live = st.live](const caf::error&) {
    for (auto& h : *live)
      caf::anon_send_exit(h, caf::exit_reason::kill);
  });
  self->set_down_handler([self](caf::down_msg& dm) { self->state.on_down(dm); });
  self->set_exit_handler([self](caf::exit_msg& em) {
    self->state.count_message();
    auto reason = em.reason ? em.reason
                            : caf::error{caf::exit_reason::user_shutdown};
    self->state.begin_shutdown(reason);
  });
  for (size_t i = 0; i < st.children.size() && !st.stopping; ++i)
    st.start_child(i);
  return {
    [self](atom::restart, const std::string& name) -> caf::result<caf::ok_atom> {
      auto& st = self->state;
      st.count_message();
      if (st.stopping)
        return make_error(ec::unavailable, st.my_name + " is shutting down");
      for (size_t i = 0; i < st.children.size(); ++i) {
        if (st.children[i].spec.name != name)
          continue;
        spdlog::info("[{}] restarting {} on request", st.my_name, name);
        st.stop_child(i);
        st.schedule_restart(i, std::chrono::milliseconds{0});
        return caf::ok_atom::value;
      }
      return make_error(ec::not_found, "no child '" + name + "' in "
                                         + st.my_name);
    },
    [self](atom::children) {
      self->state.count_message();
      std::vector<std::string> result;
      for (auto& c : self->state.children)
        result.push_back(c.spec.name);
      return result;
    },
    [self](atom::start, uint64_t i, uint64_t gen) {
      auto& st = self->state;
      st.count_message();
      if (st.stopping || i >= st.children.size()
          || st.children[i].generation != gen)
        return;
      st.children[i].due = true;
      st.start_due();
    },
    [self](atom::grace, uint64_t i, uint64_t gen) {
      auto& st = self->state;
      st.count_message();
      if (i >= st.children.size())
        return;
      auto& c = st.children[i];
      if (c.ph == phase::stopping && c.generation == gen) {
        spdlog::warn("[{}] {} did not stop within {} ms; killing it",
                     st.my_name, c.spec.name,
                     st.spec.policy.shutdown_grace.count());
        self->send_exit(c.handle, caf::exit_reason::kill);
      }
    },
  };
}

caf::actor spawn_supervisor(caf::actor_system& sys, actor_registry& registry,
                            supervisor_spec spec) {
  auto handle = sys.spawn(supervisor_impl, std::move(spec), &registry);
  return caf::actor_cast<caf::actor>(handle);
}

} // namespace

void send_fault(const caf::strong_actor_ptr& to, caf::error reason) {
  if (to)
    to->enqueue(nullptr, caf::make_message_id(),
                caf::make_message(caf::exit_msg{to->address(), std::move(reason)}),
                nullptr);
}

child_spec supervisor_child(supervisor_spec spec) {
  auto name = spec.name;
  auto start = [spec = std::move(spec)](const child_context& ctx) {
    return spawn_supervisor(*ctx.system, *ctx.registry, spec);
  };
  return child_spec{std::move(name), std::move(start), "supervisor"};
}

caf::actor spawn_root(caf::actor_system& sys, actor_registry& registry,
                      supervisor_spec spec) {
  auto name = spec.name;
  registry.declare(name, "", "supervisor", nullptr);
  auto handle = spawn_supervisor(sys, registry, std::move(spec));
  registry.started(name, caf::actor_cast<caf::strong_actor_ptr>(handle));
  return handle;
}

} // namespace almanac::runtime
