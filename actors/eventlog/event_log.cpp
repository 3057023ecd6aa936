#include "actors/eventlog/event_log.hpp"

#include "actors/eventlog/event_log_behavior.hpp"
#include "messages/actors.hpp"
#include "messages/error.hpp"
#include "storage/log/segment_log.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <map>
#include <thread>

namespace almanac::eventlog {

namespace {

/// Most records a subscriber receives in one message.
constexpr uint64_t max_push_records = 1024;

/// Most bytes of frames a subscriber receives in one message.
constexpr size_t max_push_bytes = 4 << 20;

/// Runs `send` (a message from a log thread to the actor) per `handoff`.
template <class Send>
void hand_off(const log_handoff& handoff, Send send) {
  if (handoff)
    handoff(std::move(send));
  else
    send();
}

storage::log_options options_from(const config::settings& s) {
  storage::log_options opts;
  opts.dir = (std::filesystem::path{s.get("data_dir")} / "log").string();
  opts.segment_bytes = s.get_uint("eventlog.segment_bytes");
  opts.fsync = s.get("eventlog.fsync") == "interval"
                 ? storage::fsync_policy::interval
                 : storage::fsync_policy::always;
  opts.fsync_interval
    = std::chrono::milliseconds(s.get_uint("eventlog.fsync_interval_ms"));
  opts.max_batch_bytes = s.get_uint("eventlog.max_batch_bytes");
  opts.max_batch_delay
    = std::chrono::microseconds(s.get_uint("eventlog.max_batch_delay_us"));
  return opts;
}

} // namespace

uint64_t event_log_state::visible_end() const {
  auto end = log->end_offset();
  return ha ? ha->visible_end(end) : end;
}

void event_log_state::publish_end() {
  if (ha) {
    ha->publish_visible(log->end_offset(), registry->log_end);
    return;
  }
  auto end = visible_end();
  auto old = registry->log_end.load();
  while (end > old && !registry->log_end.compare_exchange_weak(old, end)) {
  }
}

std::string event_log_state::sync_failure(const std::string& what) const {
  auto standbys = ha->standbys();
  std::string states;
  for (auto& [name, v] : standbys)
    states += (states.empty() ? "" : ", ") + name + " is " + v.state + " (durable to offset "
              + std::to_string(v.durable_offset) + ")";
  return what + " (ha.mode = sync, ha.sync_timeout_ms = "
         + std::to_string(ha->sync_timeout_ms.load()) + "): "
         + (states.empty() ? std::string{"no standby has connected"} : "standby " + states);
}

void event_log_state::settle() {
  if (!ha)
    return;
  auto end = log->end_offset();
  auto mark = ha->confirmed_end();
  // Back once the standby has everything of the time sync mode degraded
  // and is within a batch of the end, not at it: under steady load it
  // trails by the records in flight.
  auto confirmed = ha->replicated_end.load();
  if (ha->degraded && end > 0 && confirmed >= ha->degraded_at_end
      && confirmed + runtime::ha_state::catch_up_slack >= end) {
    ha->restore_sync(end, registry->log_end);
    mark = ha->confirmed_end();
    spdlog::warn("[eventlog] the standby has caught up (durable to {} of {}): sync mode "
                 "is back (writes wait for it)", ha->replicated_end.load(), end);
  }
  if (stalled && mark >= end) {
    stalled = false;
    ha->stalled = false;
    spdlog::warn("[eventlog] the standby has the whole log again: writes are "
                 "accepted");
  }
  auto now = std::chrono::steady_clock::now();
  // Fenced: a later primary exists; nothing unconfirmed may be acknowledged
  // here any more, whatever the fallback.
  bool fenced = ha->superseded_by.load() != 0;
  while (!held_acks.empty()) {
    auto& h = held_acks.front();
    bool confirmed = h.ack.end_offset <= mark || (!fenced && !ha->sync_active());
    if (!confirmed && !fenced && h.deadline > now)
      break;
    auto i = pending.find(h.id);
    if (confirmed) {
      if (i != pending.end())
        i->second.deliver(h.ack);
    } else if (fenced) {
      if (i != pending.end())
        i->second.deliver(make_error(ec::read_only, "not acknowledged: "
                                                      + ha->read_only_reason()));
    } else if (ha->fallback_async) {
      ha->degraded_at_end = end;
      ha->degraded = true;
      spdlog::error("[eventlog] {}: sync mode degrades to async "
                    "(ha.sync_fallback = async); writes are acknowledged on this "
                    "node alone until the standby catches up",
                    sync_failure("the standby did not confirm a write in time"));
      continue; // now confirmed: sync is no longer active
    } else {
      stalled = true;
      ha->stalled = true;
      if (i != pending.end())
        i->second.deliver(make_error(
          ec::unavailable,
          sync_failure("not acknowledged: the standby did not confirm this write in time")
            + "; the write is in the primary's log and becomes visible once a "
              "standby has it"));
    }
    if (i != pending.end())
      pending.erase(i);
    held_acks.pop_front();
  }
  publish_end();
}

void event_log_state::answer_polls() {
  auto end = visible_end();
  for (auto i = polls.begin(); i != polls.end();) {
    if (i->second.from < end) {
      auto recs = read(i->second.from, std::min(i->second.max, end - i->second.from),
                       max_push_bytes);
      if (recs)
        i->second.promise.deliver(std::move(*recs));
      else
        i->second.promise.deliver(recs.error());
      i = polls.erase(i);
    } else {
      ++i;
    }
  }
}

event_log_state::~event_log_state() {
  // Drop our monitors: dead subscribers need not notify a dead log.
  if (self)
    for (auto& [addr, sub] : subscriptions)
      self->demonitor(sub.sink.address());
  if (ha) {
    ha->publish_log(nullptr);
    ha->set_watermark_listener({});
  }
  if (log)
    if (auto err = log->close())
      spdlog::error("[eventlog] close: {}", render(err));
}

void event_log_state::count() {
  metrics->processed.fetch_add(1, std::memory_order_relaxed);
}

caf::expected<std::vector<event_record>>
event_log_state::read(uint64_t from, uint64_t max, size_t max_bytes) {
  return log->read(from, max, max_bytes);
}

void event_log_state::push_all() {
  auto end = visible_end();
  for (auto& [addr, sub] : subscriptions)
    push(sub, end);
}

void event_log_state::push(subscription& sub, uint64_t end) {
  while (sub.credit > 0 && sub.next < end) {
    auto batch = read(sub.next, std::min({sub.credit, max_push_records, end - sub.next}),
                      max_push_bytes);
    if (!batch) {
      spdlog::error("[eventlog] read for a subscriber failed: {}",
                    render(batch.error()));
      self->quit(batch.error());
      return;
    }
    if (batch->empty())
      return;
    sub.next = batch->back().offset + 1;
    sub.credit -= batch->size();
    self->send(sub.sink, atom::records::value, std::move(*batch));
  }
}

std::string event_log_state::status_json() const {
  auto st = log->stats();
  auto segs = nlohmann::json::array();
  for (auto& s : log->segments())
    segs.push_back({{"file", s.file_name},
                    {"base_offset", s.base_offset},
                    {"epoch", s.epoch},
                    {"bytes", s.bytes},
                    {"records", s.records}});
  nlohmann::json j{
    {"dir", log->options().dir},
    {"start_offset", log->start_offset()},
    {"end_offset", log->end_offset()},
    {"end_position", log->end_position()},
    {"epoch", log->epoch()},
    {"fsync", log->options().fsync == storage::fsync_policy::always
                ? "always" : "interval"},
    {"segments", segs},
    {"subscriptions", subscriptions.size()},
    {"writer",
     {{"batches", st.batches},
      {"requests", st.requests},
      {"records", st.records},
      {"bytes", st.bytes},
      {"syncs", st.syncs}}},
  };
  return j.dump();
}

event_log_actor::behavior_type
event_log_impl(event_log_actor::stateful_pointer<event_log_state> self,
               storage::log_options opts,
               std::shared_ptr<runtime::actor_metrics> metrics,
               runtime::actor_registry* registry, log_handoff handoff,
               std::shared_ptr<runtime::ha_state> ha) {
  auto& st = self->state;
  st.ha = ha;
  st.self = self;
  st.metrics = std::move(metrics);
  st.registry = registry;
  st.handoff = std::move(handoff);
  // A predecessor that is still closing holds the directory lock briefly.
  auto opened = storage::segment_log::open(opts);
  for (int i = 0; i < 200 && !opened && code_of(opened.error()) == ec::locked; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    opened = storage::segment_log::open(opts);
  }
  if (!opened) {
    spdlog::error("[eventlog] cannot open the log: {}", render(opened.error()));
    self->quit(opened.error());
    return event_log_actor::behavior_type::make_empty_behavior();
  }
  st.log = std::move(*opened);
  // Sync mode: what the log holds when it opens is readable (docs/ha.md);
  // a log actor restarted in the same process keeps the watermark it had.
  if (ha && (!ha->watermark_set() || ha->replicated_end > st.log->end_offset()))
    ha->reset_watermark(st.log->end_offset());
  // Sync mode, restarted in the same process with records the standby has
  // not confirmed (in doubt, perhaps): refuse appends until it has them,
  // as the predecessor did; otherwise accept them.
  if (ha) {
    st.stalled = ha->sync_active() && ha->confirmed_end() < st.log->end_offset();
    ha->stalled = st.stalled;
  }
  registry->log_end = st.ha ? ha->visible_end(st.log->end_offset()) : st.log->end_offset();
  registry->log_written_end = st.log->end_offset();
  // Runs on the log's writer thread: only atomics and messages here.
  st.log->set_commit_listener([registry, handoff = st.handoff, ha,
                               weak = caf::actor_cast<caf::weak_actor_ptr>(self)](uint64_t end) {
    auto old = registry->log_written_end.load();
    while (end > old && !registry->log_written_end.compare_exchange_weak(old, end)) {
    }
    if (ha) {
      ha->publish_visible(end, registry->log_end);
      ha->notify_commit();
    } else {
      old = registry->log_end.load();
      while (end > old && !registry->log_end.compare_exchange_weak(old, end)) {
      }
    }
    hand_off(handoff, [weak, end] {
      if (auto strong = caf::actor_cast<caf::strong_actor_ptr>(weak))
        caf::anon_send(caf::actor_cast<event_log_actor>(strong),
                       atom::committed::value, end);
    });
  });
  self->set_down_handler([self](caf::down_msg& dm) {
    self->state.subscriptions.erase(dm.source);
  });
  if (ha) {
    ha->publish_log(st.log);
    // Runs on a replication thread when the standby confirms records.
    ha->set_watermark_listener(
      [handoff = st.handoff, weak = caf::actor_cast<caf::weak_actor_ptr>(self)](uint64_t end) {
        hand_off(handoff, [weak, end] {
          if (auto strong = caf::actor_cast<caf::strong_actor_ptr>(weak))
            caf::anon_send(caf::actor_cast<event_log_actor>(strong),
                           atom::committed::value, end);
        });
      });
  }
  spdlog::info("[eventlog] open at {}: offsets [{}, {})",
               st.log->options().dir, st.log->start_offset(),
               st.log->end_offset());
  return {
    [self](atom::append, std::vector<event_input>& events)
      -> caf::result<append_ack> {
      auto& st = self->state;
      st.count();
      if (events.empty())
        return make_error(ec::invalid_argument, "nothing to append");
      if (st.ha && st.ha->standby)
        return make_error(ec::read_only, st.ha->read_only_reason());
      if (st.stalled)
        return make_error(ec::unavailable,
                          st.sync_failure("writes are refused until the standby has "
                                          "every record: it did not confirm one in time"));
      std::vector<storage::record_input> records;
      records.reserve(events.size());
      for (auto& e : events)
        records.push_back({std::move(e.type), std::move(e.key),
                           std::move(e.payload), std::nullopt});
      auto id = st.next_request++;
      auto rp = self->make_response_promise<append_ack>();
      st.pending.emplace(id, rp);
      auto weak = caf::actor_cast<caf::weak_actor_ptr>(self);
      // Runs on a log thread (on this one for input the log refuses).
      st.log->append(std::move(records),
                     [weak, id, handoff = st.handoff](caf::expected<storage::append_result> res) {
                       hand_off(handoff, [weak, id, res = std::move(res)] {
                         auto strong = caf::actor_cast<caf::strong_actor_ptr>(weak);
                         if (!strong)
                           return;
                         auto me = caf::actor_cast<event_log_actor>(strong);
                         if (res)
                           caf::anon_send(me, atom::appended::value, id,
                                          append_ack{res->first_offset, res->count,
                                                     res->first_offset + res->count});
                         else
                           caf::anon_send(me, atom::appended::value, id,
                                          res.error());
                       });
                     });
      return rp;
    },
    [self](atom::appended, uint64_t id, append_ack& ack) {
      auto& st = self->state;
      st.registry->storage_fault("eventlog", false);
      if (st.ha && st.ha->sync_active()
          && (ack.end_offset > st.ha->confirmed_end() || !st.held_acks.empty())) {
        // Durable here; acknowledged once the standby has it too.
        auto wait = std::chrono::milliseconds(st.ha->sync_timeout_ms.load());
        st.held_acks.push_back({id, ack, std::chrono::steady_clock::now() + wait});
        self->delayed_send(self, wait + std::chrono::milliseconds(1),
                           atom::committed::value, uint64_t{0});
        st.settle();
        return;
      }
      auto i = st.pending.find(id);
      if (i != st.pending.end()) {
        i->second.deliver(ack);
        st.pending.erase(i);
      }
    },
    [self](atom::appended, uint64_t id, caf::error& err) {
      auto& st = self->state;
      if (has_code(err, ec::storage_full))
        st.registry->storage_fault("eventlog", true, "the event log's disk is full");
      else if (has_code(err, ec::io_error))
        st.registry->storage_fault("eventlog", true, "the event log cannot write");
      auto i = st.pending.find(id);
      if (i != st.pending.end()) {
        i->second.deliver(err);
        st.pending.erase(i);
      }
    },
    [self](atom::read, uint64_t from, uint64_t max)
      -> caf::result<std::vector<event_record>> {
      self->state.count();
      auto end = self->state.visible_end();
      max = std::min<uint64_t>(max, 100000);
      if (from >= end)
        max = 0;
      else
        max = std::min(max, end - from);
      if (max == 0)
        return std::vector<event_record>{};
      auto recs = self->state.read(from, max, 64 << 20);
      if (!recs)
        return recs.error();
      return std::move(*recs);
    },
    [self](atom::read, uint64_t from, uint64_t max, uint64_t wait_ms)
      -> caf::result<std::vector<event_record>> {
      auto& st = self->state;
      st.count();
      max = std::min<uint64_t>(std::max<uint64_t>(max, 1), 10000);
      auto end = st.visible_end();
      if (from < end || wait_ms == 0) {
        if (from >= end)
          return std::vector<event_record>{};
        auto recs = st.read(from, std::min(max, end - from), max_push_bytes);
        if (!recs)
          return recs.error();
        return std::move(*recs);
      }
      auto id = st.next_poll++;
      auto rp = self->make_response_promise<std::vector<event_record>>();
      st.polls.emplace(id, event_log_state::poll{from, max, rp});
      self->delayed_send(self, std::chrono::milliseconds(wait_ms),
                         atom::deadline::value, id);
      return rp;
    },
    [self](atom::deadline, uint64_t id) {
      auto& st = self->state;
      auto i = st.polls.find(id);
      if (i != st.polls.end()) {
        i->second.promise.deliver(std::vector<event_record>{});
        st.polls.erase(i);
      }
    },
    [self](caf::get_atom, atom::end) -> uint64_t {
      self->state.count();
      return self->state.visible_end();
    },
    [self](caf::get_atom, atom::status) -> std::string {
      self->state.count();
      return self->state.status_json();
    },
    [self](caf::subscribe_atom, uint64_t from, uint64_t credit,
           log_subscriber_actor sink) {
      auto& st = self->state;
      st.count();
      auto addr = sink.address();
      self->monitor(sink);
      auto& sub = st.subscriptions[addr];
      sub.sink = sink;
      sub.next = std::max(from, st.log->start_offset());
      sub.credit = credit;
      st.push(sub, st.visible_end());
    },
    [self](atom::credit, uint64_t n) {
      auto& st = self->state;
      st.count();
      auto sender = self->current_sender();
      if (!sender)
        return;
      auto i = st.subscriptions.find(caf::actor_cast<caf::actor_addr>(sender));
      if (i == st.subscriptions.end())
        return;
      i->second.credit += n;
      st.push(i->second, st.visible_end());
    },
    // The log's end moved, or (sync mode) the standby's watermark, or a
    // held acknowledgement's deadline came.
    [self](atom::committed, uint64_t) {
      self->state.count();
      self->state.settle();
      self->state.push_all();
      self->state.answer_polls();
    },
  };
}

runtime::child_spec event_log_child(const config::settings& settings,
                                    std::shared_ptr<runtime::ha_state> ha) {
  auto opts = options_from(settings);
  return {"eventlog", [opts, ha](const runtime::child_context& ctx) {
            auto h = ctx.system->spawn<caf::detached>(event_log_impl, opts,
                                                      ctx.metrics, ctx.registry,
                                                      log_handoff{}, ha);
            return caf::actor_cast<caf::actor>(h);
          }};
}

} // namespace almanac::eventlog
