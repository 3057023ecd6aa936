#include "actors/usage/usage.hpp"

#include "messages/actors.hpp"
#include "messages/error.hpp"
#include "messages/event_types.hpp"
#include "runtime/ha_state.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <map>

namespace almanac::usage {

namespace {

struct usage_state {
  static constexpr const char* name = "usage";
  std::map<std::pair<std::string, std::string>, uint64_t> views;
  std::map<std::pair<std::string, std::string>, std::pair<uint64_t, uint64_t>> searches;
  std::shared_ptr<runtime::actor_metrics> metrics;
  runtime::actor_registry* registry = nullptr;
  std::shared_ptr<runtime::ha_state> ha;
  bool flush_scheduled = false;
  bool told_standby = false;
};

usage_actor::behavior_type
usage_impl(usage_actor::stateful_pointer<usage_state> self,
           std::chrono::milliseconds period,
           std::shared_ptr<runtime::actor_metrics> metrics,
           runtime::actor_registry* registry,
           std::shared_ptr<runtime::ha_state> ha) {
  self->state.metrics = std::move(metrics);
  self->state.registry = registry;
  self->state.ha = std::move(ha);
  auto schedule = [self, period] {
    if (!self->state.flush_scheduled) {
      self->state.flush_scheduled = true;
      self->delayed_send(self, period, atom::flush::value);
    }
  };
  return {
    [self, schedule](atom::viewed, std::string& user, std::string& urn) {
      self->state.metrics->processed.fetch_add(1, std::memory_order_relaxed);
      ++self->state.views[{std::move(user), std::move(urn)}];
      if (self->state.views.size() >= max_batch)
        self->send(self, atom::flush::value);
      else
        schedule();
    },
    [self, schedule](atom::searched, std::string& user, std::string& text,
                     uint64_t results) {
      self->state.metrics->processed.fetch_add(1, std::memory_order_relaxed);
      auto& s = self->state.searches[{std::move(user), std::move(text)}];
      s.first += 1;
      s.second = results;
      if (self->state.searches.size() >= max_batch)
        self->send(self, atom::flush::value);
      else
        schedule();
    },
    [self](atom::flush) {
      auto& st = self->state;
      st.flush_scheduled = false;
      std::vector<event_input> events;
      if (!st.views.empty()) {
        ev::entity_viewed e;
        for (auto& [k, n] : st.views)
          e.views.push_back({k.first, k.second, n});
        events.push_back(ev::to_event(e, ""));
        st.views.clear();
      }
      if (!st.searches.empty()) {
        ev::search_performed e;
        for (auto& [k, v] : st.searches)
          e.searches.push_back({k.first, k.second, v.first, v.second});
        events.push_back(ev::to_event(e, ""));
        st.searches.clear();
      }
      if (events.empty())
        return;
      if (st.ha && st.ha->standby) {
        // A standby's log is the primary's: nothing is appended here.
        if (!st.told_standby)
          spdlog::info("[usage] this node is a standby: reads and searches "
                       "here are not recorded as usage");
        st.told_standby = true;
        return;
      }
      auto log = st.registry->find(names::eventlog);
      if (!log) {
        spdlog::warn("[usage] event log down; {} usage events dropped",
                     events.size());
        return;
      }
      self->request(log, std::chrono::seconds(30), atom::append::value,
                    std::move(events))
        .then([](append_ack&) {},
              [](caf::error& err) {
                spdlog::warn("[usage] could not record usage: {}", render(err));
              });
    },
  };
}

} // namespace

runtime::child_spec usage_child(std::chrono::milliseconds period,
                                std::shared_ptr<runtime::ha_state> ha) {
  return {"usage", [period, ha](const runtime::child_context& ctx) {
            auto h = ctx.system->spawn(usage_impl, period, ctx.metrics,
                                       ctx.registry, ha);
            return caf::actor_cast<caf::actor>(h);
          }};
}

} // namespace almanac::usage
