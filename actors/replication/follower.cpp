#include "actors/replication/follower.hpp"

#include "messages/error.hpp"
#include "messages/time.hpp"
#include "storage/log/file.hpp"
#include "storage/log/segment_log.hpp"

#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <poll.h>
#include <unistd.h>

#include <future>

namespace almanac::replication {

namespace {

using namespace std::chrono_literals;

/// Writes the secrets file the primary sent, mode 0600, atomically.
caf::error store_secrets(const std::string& data_dir, const std::string& content) {
  auto path = data_dir + "/secrets.json";
  // A temporary file left by a crash may have another mode: start afresh.
  ::unlink((path + ".tmp").c_str());
  return storage::write_file_atomically(data_dir, path, content, 0600);
}

} // namespace

follower::follower(ha_config cfg, std::shared_ptr<runtime::ha_state> ha,
                   std::function<void()> truncated, runtime::actor_registry* registry)
  : cfg_(std::move(cfg)), ha_(std::move(ha)), truncated_(std::move(truncated)),
    row_(registry, "replication:receiver") {
}

follower::~follower() {
  stop();
}

caf::error follower::start() {
  auto ctx = tls_context::make(cfg_.secret, false);
  if (!ctx)
    return std::move(ctx.error());
  ctx_ = std::move(*ctx);
  ha_->update_follower([&](runtime::follower_view& v) {
    v.primary = cfg_.primary_host + ":" + std::to_string(cfg_.primary_port);
  });
  row_.declare();
  thread_ = std::thread{[this] { run(); }};
  return caf::none;
}

void follower::stop() {
  if (!stop_.raise())
    return;
  if (thread_.joinable())
    thread_.join();
  row_.stopped();
}

bool follower::sleep_for(std::chrono::milliseconds d) {
  pollfd p{stop_.fd(), POLLIN, 0};
  ::poll(&p, 1, static_cast<int>(d.count()));
  return !stop_.raised();
}

void follower::run() {
  auto backoff = 100ms;
  while (!stop_.raised()) {
    auto ch = tls_channel::connect(ctx_, cfg_.primary_host, cfg_.primary_port, 5s);
    caf::error err;
    if (!ch) {
      err = ch.error();
    } else {
      backoff = 100ms;
      err = session(**ch);
    }
    if (stop_.raised())
      break;
    if (err) {
      spdlog::warn("[replication] following {}:{}: {}; again in {} ms",
                   cfg_.primary_host, cfg_.primary_port, render(err), backoff.count());
      ha_->update_follower([&](runtime::follower_view& v) {
        v.state = "disconnected";
        v.last_error = render(err);
      });
      row_.down(render(err));
    }
    if (!sleep_for(backoff))
      break;
    backoff = std::min<std::chrono::milliseconds>(backoff * 2, 5s);
  }
}

caf::error follower::session(tls_channel& ch) {
  auto log = ha_->log();
  for (int i = 0; !log && i < 100 && !stop_.raised(); ++i) {
    sleep_for(50ms);
    log = ha_->log();
  }
  if (!log)
    return make_error(ec::unavailable, "the local log is not open");
  ch.send(hello{cfg_.name, log->epochs(), log->end_offset(), log->end_position()});
  // The primary's answer: where our logs agree.
  auto deadline = std::chrono::steady_clock::now() + 10s;
  std::optional<replication::start> s;
  while (!s) {
    if (auto err = ch.pump(100ms, stop_.fd()))
      return err;
    if (stop_.raised())
      return caf::none;
    auto x = ch.next();
    if (!x)
      return x.error();
    if (*x) {
      if (auto r = std::get_if<refused>(&**x))
        return make_error(ec::unavailable, "refused by the primary: " + r->reason);
      s = std::get_if<replication::start>(&**x) ? std::optional<replication::start>{std::get<replication::start>(**x)}
                                   : std::nullopt;
      if (!s)
        return make_error(ec::corrupt_data, "expected start from the primary");
    }
    if (std::chrono::steady_clock::now() > deadline)
      return make_error(ec::timeout, "no answer to hello within 10 s");
  }
  if (s->epoch < log->epoch()) {
    // Fencing: a node of an older epoch is a primary that was replaced.
    ch.send(refused{"your epoch " + std::to_string(s->epoch) + " is below mine ("
                    + std::to_string(log->epoch()) + "): you were replaced"});
    ch.flush(1s);
    return make_error(ec::unavailable,
                      "the primary's epoch " + std::to_string(s->epoch)
                        + " is below this log's " + std::to_string(log->epoch())
                        + ": it is a replaced primary; not following it");
  }
  ha_->update_follower([&](runtime::follower_view& v) {
    v.primary_name = s->primary_name;
    v.primary_url = s->primary_url;
    v.primary_epoch = s->epoch;
    v.state = "catching_up";
    v.last_error.clear();
  });
  if (s->truncate_to < log->end_offset()) {
    spdlog::warn("[replication] the primary has this log only up to offset {}: "
                 "truncating {} records, then rebuilding the projections",
                 s->truncate_to, log->end_offset() - s->truncate_to);
    if (auto err = log->truncate(s->truncate_to))
      return err;
    // The log actor and the projections start again (from a log that
    // ends before their checkpoints: they rebuild); follow once they have.
    if (truncated_)
      truncated_();
    return make_error(ec::unavailable, "restarting the log after truncation");
  }
  spdlog::info("[replication] following {} ({}) from offset {}, epoch {}",
               s->primary_name, s->primary_url, log->end_offset(), s->epoch);
  row_.up();
  auto heard = std::chrono::steady_clock::now();
  auto last_beat = heard;
  while (!stop_.raised()) {
    if (auto err = ch.pump(std::min<std::chrono::milliseconds>(cfg_.heartbeat, 200ms),
                           stop_.fd()))
      return err;
    // Every run that arrived goes to the log's writer at once (one group
    // commit for them all); one acknowledgement once they are durable.
    std::vector<std::future<caf::error>> appending;
    auto settle = [&]() -> caf::error {
      caf::error first;
      for (auto& f : appending)
        if (auto err = f.get(); err && !first)
          first = std::move(err);
      if (!appending.empty() && !first)
        ch.send(ack{log->end_offset(), log->end_position()});
      appending.clear();
      return first;
    };
    for (;;) {
      auto x = ch.next();
      if (!x) {
        // A write that failed matters more than the connection that broke
        // after it: that is the error to report (and to back off on).
        if (auto err = settle())
          return err;
        return x.error();
      }
      if (!*x)
        break;
      heard = std::chrono::steady_clock::now();
      if (auto run = std::get_if<storage::frame_run>(&**x)) {
        auto done = std::make_shared<std::promise<caf::error>>();
        appending.push_back(done->get_future());
        row_.count();
        log->append_frames(std::move(*run), [done](caf::expected<storage::append_result> r) {
          done->set_value(r ? caf::error{} : r.error());
        });
      } else if (auto b = std::get_if<heartbeat>(&**x)) {
        ha_->update_follower([&](runtime::follower_view& v) {
          v.primary_epoch = b->epoch;
          v.primary_end_offset = b->end_offset;
          v.primary_end_position = b->end_position;
          v.primary_time_ms = b->time_ms;
          v.lag_ms = b->lag_ms;
          v.heard_ms = now_ms();
        });
      } else if (auto sec = std::get_if<secrets>(&**x)) {
        if (auto err = store_secrets(cfg_.data_dir, sec->content))
          spdlog::error("[replication] cannot store the secrets the primary sent: {}",
                        render(err));
      } else if (auto r = std::get_if<refused>(&**x)) {
        if (auto err = settle())
          return err;
        return make_error(ec::unavailable, "refused by the primary: " + r->reason);
      }
    }
    if (auto err = settle())
      return err;
    auto end = log->end_offset();
    ha_->update_follower([&](runtime::follower_view& v) {
      v.state = v.primary_end_position > log->end_position() + (4u << 20)
                  ? "catching_up"
                  : "streaming";
      if (v.primary_end_offset < end)
        v.primary_end_offset = end;
    });
    auto now = std::chrono::steady_clock::now();
    if (now - last_beat >= cfg_.heartbeat) {
      ch.send(heartbeat{log->epoch(), end, log->end_position(), now_ms(), 0});
      last_beat = now;
    }
    if (now - heard > 5 * cfg_.heartbeat)
      return make_error(ec::timeout, "the primary has been silent for "
                                       + std::to_string(5 * cfg_.heartbeat.count())
                                       + " ms");
  }
  return caf::none;
}

} // namespace almanac::replication
