#include "actors/replication/shipper.hpp"

#include "messages/error.hpp"
#include "messages/time.hpp"
#include "storage/log/file.hpp"
#include "storage/log/segment_log.hpp"

#include <spdlog/spdlog.h>

#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

namespace almanac::replication {

namespace {

using namespace std::chrono_literals;

/// Bytes queued on a connection before the sender waits for it to drain.
constexpr size_t max_queued = 4u << 20;

/// Largest run of frames in one message.
constexpr size_t run_bytes = 1u << 20;

/// Most connections at once (authenticated or still in their handshake):
/// a pair has one standby; the rest are reconnects and strangers.
constexpr size_t max_sessions = 8;

/// A standby further behind than this is catching up, not streaming.
constexpr uint64_t streaming_lag_bytes = 4u << 20;

/// The modification time of `path` in ns (0 if there is no such file).
int64_t mtime_of(const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0)
    return 0;
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

void drain(int fd) {
  uint64_t n = 0;
  [[maybe_unused]] auto r = ::read(fd, &n, sizeof(n));
}

} // namespace

int64_t record_age_ms(const storage::segment_log& log, uint64_t offset) {
  auto recs = log.read(offset, 1, 1);
  if (!recs || recs->empty())
    return 0;
  return std::max<int64_t>(0, now_ms() - recs->front().timestamp_ms);
}

shipper::shipper(ha_config cfg, std::shared_ptr<runtime::ha_state> ha,
                 runtime::actor_registry* registry)
  : cfg_(std::move(cfg)), ha_(std::move(ha)), registry_(registry) {
}

shipper::~shipper() {
  stop();
}

caf::error shipper::start() {
  auto ctx = tls_context::make(cfg_.secret, true);
  if (!ctx)
    return std::move(ctx.error());
  ctx_ = std::move(*ctx);
  auto l = tls_listener::open(ctx_, cfg_.listen_host, cfg_.listen_port);
  if (!l)
    return std::move(l.error());
  listener_ = std::move(*l);
  port_ = listener_->port();
  spdlog::info("[replication] listening for standbys on {}:{}", cfg_.listen_host,
               port_);
  acceptor_ = std::thread{[this] { accept_loop(); }};
  return caf::none;
}

void shipper::stop() {
  if (!stop_.raise())
    return;
  if (acceptor_.joinable())
    acceptor_.join();
  std::list<session_thread> sessions;
  {
    std::lock_guard<std::mutex> guard{sessions_mutex_};
    sessions.swap(sessions_);
  }
  for (auto& t : sessions)
    if (t.thread.joinable())
      t.thread.join();
}

void shipper::reap() {
  std::lock_guard<std::mutex> guard{sessions_mutex_};
  for (auto i = sessions_.begin(); i != sessions_.end();) {
    if (i->done->load()) {
      i->thread.join();
      i = sessions_.erase(i);
    } else {
      ++i;
    }
  }
}

void shipper::accept_loop() {
  while (!stop_.raised()) {
    auto p = listener_->accept_socket(1s, stop_.fd());
    reap();
    if (p.fd < 0)
      continue;
    std::lock_guard<std::mutex> guard{sessions_mutex_};
    if (sessions_.size() >= max_sessions) {
      spdlog::warn("[replication] refused a connection from {}: {} connections "
                   "are open already", p.peer, sessions_.size());
      ::close(p.fd);
      continue;
    }
    auto done = std::make_shared<std::atomic<bool>>(false);
    // The handshake runs on the session's thread: a peer that stalls in it
    // holds only that thread, never the listener.
    sessions_.push_back({std::thread{[this, p, done] {
                           session(p);
                           *done = true;
                         }},
                         done});
  }
}

void shipper::session(tls_listener::pending p) {
  auto accepted = tls_channel::accept(ctx_, p.fd, p.peer, 5s);
  if (!accepted) {
    // A handshake that failed: a peer without the secret, or not ours.
    spdlog::warn("[replication] refused a connection: {}", render(accepted.error()));
    return;
  }
  auto ch = std::move(*accepted);
  int wake = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  ha_->add_waker(wake);
  runtime::standby_view view;
  view.peer = ch->peer();
  view.sync = cfg_.sync;
  std::optional<link_row> row;
  auto err = serve(*ch, view, wake, row);
  ha_->remove_waker(wake);
  ::close(wake);
  if (!view.name.empty()) {
    view.state = "disconnected";
    if (ha_->update_standby_if_current(view) && row) {
      if (stop_.raised())
        row->stopped();
      else
        row->down(err ? render(err) : "disconnected");
    }
  }
  if (err && !stop_.raised())
    spdlog::warn("[replication] standby {} ({}) disconnected: {}",
                 view.name.empty() ? "?" : view.name, view.peer, render(err));
}

caf::error shipper::serve(tls_channel& ch, runtime::standby_view& view, int wake,
                          std::optional<link_row>& row) {
  auto deadline = std::chrono::steady_clock::now() + 10s;
  std::optional<message> first;
  while (!first && !stop_.raised()) {
    auto x = ch.next();
    if (!x)
      return x.error();
    if (*x) {
      first = std::move(**x);
      break;
    }
    if (std::chrono::steady_clock::now() > deadline)
      return make_error(ec::timeout, "no hello within 10 s");
    if (auto err = ch.pump(100ms, stop_.fd()))
      return err;
  }
  if (stop_.raised())
    return caf::none;
  auto h = std::get_if<hello>(&*first);
  if (!h)
    return make_error(ec::corrupt_data, std::string{"expected hello, got "}
                                          + to_string(type_of(*first)));
  auto log = ha_->log();
  auto refuse = [&](const std::string& why) {
    ch.send(refused{why});
    ch.flush(1s);
    return make_error(ec::unavailable, why);
  };
  if (!log)
    return refuse("the primary's log is not open (restarting)");
  if (ha_->standby)
    return refuse("this node is a standby, not a primary");
  if (h->epochs.latest() > log->epoch()) {
    // The peer has seen a later epoch: a promotion happened elsewhere and
    // this node is a replaced primary. Stop taking writes at once.
    ha_->fence(h->epochs.latest());
    ha_->replicated(0); // wakes the log actor: held acknowledgements now fail
    spdlog::error("[replication] {} ({}) has epoch {}, above this node's {}: this "
                  "primary was replaced; it refuses writes from now on",
                  h->name, ch.peer(), h->epochs.latest(), log->epoch());
    return refuse("this node's epoch " + std::to_string(log->epoch())
                  + " is below yours: it was replaced as primary");
  }
  view.name = h->name;
  auto agreed = storage::divergence_point(log->epochs(), log->end_offset(),
                                          h->epochs, h->end_offset);
  replication::start s;
  s.primary_name = cfg_.name;
  s.primary_url = cfg_.http_url;
  s.epoch = log->epoch();
  s.truncate_to = agreed;
  s.sync = cfg_.sync;
  ch.send(s);
  auto at = log->read_frames(agreed, 1);
  if (!at)
    return at.error();
  view.durable_offset = agreed;
  view.durable_position = at->first_position;
  view.state = "catching_up";
  ha_->update_standby(view);
  row.emplace(registry_, "replication:sender:" + view.name);
  row->up();
  spdlog::info("[replication] standby {} ({}) connected at offset {} (its log "
               "ends at {}{})",
               view.name, view.peer, agreed, h->end_offset,
               agreed < h->end_offset ? ", the rest is truncated" : "");
  uint64_t next = agreed;
  // The segment of the last run sent: an empty run goes out when the
  // primary starts a segment with no records yet, so both logs have it.
  std::optional<std::pair<uint64_t, uint64_t>> sent_segment;
  auto last_beat = std::chrono::steady_clock::now() - cfg_.heartbeat;
  auto heard = std::chrono::steady_clock::now();
  // The node-local secrets (source passwords) go to the standby whenever
  // they change, over this channel only: they are never events.
  auto secrets_path = cfg_.data_dir + "/secrets.json";
  int64_t secrets_sent = -1;
  while (!stop_.raised()) {
    if (auto m = mtime_of(secrets_path); m != 0 && m != secrets_sent) {
      auto content = storage::read_whole_file(secrets_path);
      if (content) {
        ch.send(secrets{std::move(*content)});
        secrets_sent = m;
      }
    }
    while (ch.pending_output() < max_queued) {
      auto run = log->read_frames(next, run_bytes);
      if (!run)
        return run.error();
      std::pair<uint64_t, uint64_t> seg{run->segment_base, run->segment_epoch};
      if (run->count == 0 && sent_segment == seg)
        break;
      sent_segment = seg;
      next += run->count;
      ch.send(*run);
      row->count();
    }
    auto now = std::chrono::steady_clock::now();
    if (now - last_beat >= cfg_.heartbeat) {
      ch.send(heartbeat{log->epoch(), log->end_offset(), log->end_position(), now_ms(),
                        record_age_ms(*log, view.durable_offset)});
      last_beat = now;
    }
    if (auto err = ch.pump(std::min<std::chrono::milliseconds>(cfg_.heartbeat, 200ms), wake))
      return err;
    drain(wake);
    for (;;) {
      auto x = ch.next();
      if (!x)
        return x.error();
      if (!*x)
        break;
      heard = std::chrono::steady_clock::now();
      if (auto a = std::get_if<ack>(&**x)) {
        view.durable_offset = a->end_offset;
        view.durable_position = a->end_position;
        view.last_ack_ms = now_ms();
        auto behind = log->end_position() - std::min(log->end_position(), a->end_position);
        view.state = behind < streaming_lag_bytes ? "streaming" : "catching_up";
        if (!ha_->update_standby_if_current(view))
          return make_error(ec::unavailable, "a newer connection of standby "
                                               + view.name + " replaced this one");
        if (cfg_.sync)
          ha_->replicated(a->end_offset);
      } else if (std::get_if<heartbeat>(&**x)) {
        if (!ha_->update_standby_if_current(view))
          return make_error(ec::unavailable, "a newer connection of standby "
                                               + view.name + " replaced this one");
      } else if (auto r = std::get_if<refused>(&**x)) {
        return make_error(ec::unavailable, "the standby refused: " + r->reason);
      }
    }
    if (std::chrono::steady_clock::now() - heard > 5 * cfg_.heartbeat)
      return make_error(ec::timeout, "the standby has been silent for "
                                       + std::to_string(5 * cfg_.heartbeat.count())
                                       + " ms");
  }
  return caf::none;
}

} // namespace almanac::replication
