#include "runtime/projection_driver.hpp"

#include "messages/actors.hpp"
#include "messages/error.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <set>

namespace almanac::runtime {

namespace {

struct waiter {
  uint64_t offset;
  caf::typed_response_promise<uint64_t> promise;
};

struct driver_state {
  static constexpr const char* name = "projection";

  projection_actor::stateful_pointer<driver_state> self = nullptr;
  std::string my_name;
  std::unique_ptr<projection> proj;
  std::set<std::string> consumes;
  std::shared_ptr<actor_metrics> metrics;
  actor_registry* registry = nullptr;
  event_log_actor log;
  uint64_t checkpoint = 0;
  /// Records received but not applied yet (those the projection consumes),
  /// and the offset after the last received: applied in one write by the
  /// next flush. Bounded by the subscription's credit.
  std::vector<event_record> pending;
  uint64_t received = 0;
  bool flush_sent = false;
  /// After a rebuild: drop batches until the new subscription's first one.
  bool resync = false;
  bool stalled = false; ///< The last apply could not write (a full disk).
  uint64_t stalls = 0;  ///< Numbers the stalls' re-asks (a rebuild skips one).

  ~driver_state() {
    if (stalled && registry)
      registry->storage_fault(my_name, false);
  }
  uint64_t next_waiter = 0;
  std::map<uint64_t, waiter> waiters;

  void count() {
    metrics->processed.fetch_add(1, std::memory_order_relaxed);
  }

  void set_checkpoint(uint64_t next) {
    checkpoint = next;
    metrics->checkpoint = static_cast<int64_t>(next);
    for (auto i = waiters.begin(); i != waiters.end();) {
      if (i->second.offset <= checkpoint) {
        i->second.promise.deliver(checkpoint);
        i = waiters.erase(i);
      } else {
        ++i;
      }
    }
  }

  void subscribe() {
    self->send(log, caf::subscribe_atom::value, checkpoint, projection_credit,
               caf::actor_cast<log_subscriber_actor>(self));
  }

  void on_records(std::vector<event_record>& batch) {
    count();
    if (batch.empty())
      return;
    // Every batch consumed credit of some subscription of ours: give it back
    // (dropped stale ones too, so that the window never shrinks).
    self->send(log, atom::credit::value, static_cast<uint64_t>(batch.size()));
    if (resync) {
      if (batch.front().offset != checkpoint)
        return; // in flight from before the rebuild
      resync = false;
    }
    auto first = batch.front().offset;
    auto last = batch.back().offset;
    if (last < received)
      return; // already received
    if (first > received) {
      self->quit(make_error(ec::corrupt_data,
                            my_name + " expected offset "
                              + std::to_string(received) + " but got "
                              + std::to_string(first)));
      return;
    }
    for (auto& r : batch) {
      if (r.offset < received)
        continue;
      auto [type, version] = parse_event_tag(r.type);
      if (consumes.count(type) && is_known_event(r.type))
        pending.push_back(std::move(r));
    }
    received = last + 1;
    // Apply once the batches already in the mailbox have joined: a store
    // whose write costs a sync (the search index's commit) keeps up with
    // any rate this way, and an idle node applies at once.
    if (!flush_sent) {
      flush_sent = true;
      self->send(self, atom::flush::value);
    }
  }

  void flush() {
    flush_sent = false;
    if (received <= checkpoint)
      return;
    auto first = checkpoint;
    auto selected = std::move(pending);
    pending.clear();
    if (auto err = proj->apply(selected, received)) {
      if (has_code(err, ec::storage_full) || has_code(err, ec::io_error)) {
        // A full disk (or a failing one): nothing of the batch is applied
        // (state and checkpoint are one write). Stay up, say so in
        // /health, and ask the log again from the checkpoint in a second;
        // restarting would only escalate while the disk stays full.
        if (!stalled)
          spdlog::error("[{}] cannot write at offset {} (retrying every second): {}",
                        my_name, first, render(err));
        stalled = true;
        registry->storage_fault(my_name, true,
                                has_code(err, ec::storage_full)
                                  ? my_name + " cannot write: the disk is full"
                                  : my_name + " cannot write to its store");
        // Ask again from the checkpoint of then, unless a rebuild came
        // in between (its subscription from 0 must not be replaced).
        received = checkpoint;
        resync = true;
        self->delayed_send(self, std::chrono::seconds(1), atom::tick::value, ++stalls);
        return;
      }
      spdlog::error("[{}] apply failed at offset {}: {}", my_name, first,
                    render(err));
      self->quit(err);
      return;
    }
    if (stalled) {
      stalled = false;
      registry->storage_fault(my_name, false);
      spdlog::info("[{}] writing again from offset {}", my_name, first);
    }
    set_checkpoint(received);
  }
};

projection_actor::behavior_type
driver_impl(projection_actor::stateful_pointer<driver_state> self,
            std::string name, projection_factory factory,
            std::shared_ptr<actor_metrics> metrics, actor_registry* registry) {
  auto& st = self->state;
  st.self = self;
  st.my_name = name;
  st.metrics = std::move(metrics);
  st.registry = registry;
  st.log = registry->find(names::eventlog);
  if (!st.log) {
    self->quit(make_error(ec::unavailable, name + ": the event log is not running"));
    return projection_actor::behavior_type::make_empty_behavior();
  }
  st.proj = factory();
  for (auto& c : st.proj->consumes())
    st.consumes.insert(c);
  auto cp = st.proj->open();
  if (!cp) {
    spdlog::error("[{}] cannot open: {}", name, render(cp.error()));
    self->quit(cp.error());
    return projection_actor::behavior_type::make_empty_behavior();
  }
  st.set_checkpoint(*cp);
  st.received = *cp;
  spdlog::info("[{}] resuming at offset {}", name, *cp);
  // No monitor on the log: the rest-for-one storage supervisor restarts us
  // whenever the log restarts. Subscribe once the log says where it ends:
  // a checkpoint past that end means the log lost a tail this state had
  // applied (a standby truncating what its new primary never had), so the
  // state is ahead of the truth and starts again from the log.
  self->request(st.log, caf::infinite, caf::get_atom::value, atom::end::value)
    .then(
      [self](uint64_t end) {
        auto& st = self->state;
        if (st.checkpoint > end) {
          spdlog::warn("[{}] checkpoint {} is past the log's end {} (the log was "
                       "truncated): rebuilding from offset 0",
                       st.my_name, st.checkpoint, end);
          if (auto err = st.proj->reset()) {
            self->quit(err);
            return;
          }
          st.set_checkpoint(0);
          st.received = 0;
        }
        st.subscribe();
      },
      [self](caf::error& err) { self->quit(err); });
  return {
    [self](atom::records, std::vector<event_record>& batch) {
      self->state.on_records(batch);
    },
    [self](atom::wait, uint64_t offset, uint64_t timeout_ms)
      -> caf::result<uint64_t> {
      auto& st = self->state;
      st.count();
      if (offset <= st.checkpoint)
        return st.checkpoint;
      auto id = st.next_waiter++;
      auto rp = self->make_response_promise<uint64_t>();
      st.waiters.emplace(id, waiter{offset, rp});
      self->delayed_send(self, std::chrono::milliseconds(timeout_ms),
                         atom::deadline::value, id);
      return rp;
    },
    [self](atom::deadline, uint64_t id) {
      auto& st = self->state;
      auto i = st.waiters.find(id);
      if (i == st.waiters.end())
        return;
      auto lag = i->second.offset - st.checkpoint;
      i->second.promise.deliver(make_error(
        ec::unavailable, st.my_name + " has not applied offset "
                           + std::to_string(i->second.offset - 1)
                           + " yet (checkpoint " + std::to_string(st.checkpoint)
                           + ", lag " + std::to_string(lag) + ")"));
      st.waiters.erase(i);
    },
    [self](atom::flush) { self->state.flush(); },
    [self](atom::tick, uint64_t stall) {
      auto& st = self->state;
      st.count();
      if (stall == st.stalls)
        st.subscribe();
    },
    [self](atom::rebuild) -> caf::result<caf::ok_atom> {
      auto& st = self->state;
      st.count();
      ++st.stalls; // a pending re-ask would replace the new subscription
      spdlog::info("[{}] rebuilding from offset 0", st.my_name);
      if (auto err = st.proj->reset())
        return err;
      st.checkpoint = 0;
      st.received = 0;
      st.pending.clear();
      st.metrics->checkpoint = 0;
      st.resync = true;
      st.subscribe();
      return caf::ok_atom::value;
    },
    [self](caf::get_atom, atom::checkpoint) {
      self->state.count();
      return self->state.checkpoint;
    },
    [self](caf::get_atom, atom::status) {
      self->state.count();
      return self->state.proj->status();
    },
    [self](caf::get_atom, atom::digest) -> caf::result<std::string> {
      auto& st = self->state;
      st.count();
      auto d = st.proj->digest();
      if (!d)
        return d.error();
      return "{\"checkpoint\":" + std::to_string(st.checkpoint) + ",\"digest\":\"" + *d
             + "\"}";
    },
  };
}

} // namespace

child_spec projection_child(std::string name, projection_factory factory) {
  auto n = name;
  return {std::move(n), [name, factory](const child_context& ctx) {
            auto h = ctx.system->spawn<caf::detached>(driver_impl, name, factory,
                                                      ctx.metrics, ctx.registry);
            return caf::actor_cast<caf::actor>(h);
          }};
}

} // namespace almanac::runtime
