#pragma once

// What a node knows about replication (docs/ha.md): its role, its epoch,
// the standbys it ships to or the primary it follows. Shared by the event
// log actor, the replication actors and the HTTP routes; thread-safe, no
// CAF. The log itself is published here by the event log actor while it
// has it open, so that the replication threads read and append through the
// same log object (its writer thread serialises everything).

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace almanac::storage {
class segment_log;
} // namespace almanac::storage

namespace almanac::runtime {

/// A primary's view of one standby.
struct standby_view {
  std::string name;
  std::string peer;
  /// "catching_up", "streaming" or "disconnected".
  std::string state = "disconnected";
  /// The standby's log is durable up to here.
  uint64_t durable_offset = 0;
  uint64_t durable_position = 0;
  /// Wall-clock time of the last acknowledgement.
  int64_t last_ack_ms = 0;
  bool sync = false;
};

/// A standby's view of its primary.
struct follower_view {
  /// ha.primary, and what the primary said about itself.
  std::string primary;
  std::string primary_name;
  std::string primary_url;
  /// "connecting", "catching_up", "streaming" or "disconnected".
  std::string state = "connecting";
  std::string last_error;
  uint64_t primary_epoch = 0;
  uint64_t primary_end_offset = 0;
  uint64_t primary_end_position = 0;
  /// The primary's clock in its last heartbeat, and ours when it came.
  int64_t primary_time_ms = 0;
  int64_t heard_ms = 0;
  /// How far behind the primary said we are, in ms (its last heartbeat).
  int64_t lag_ms = 0;
};

class ha_state {
public:
  /// True on a standby: every write is refused with ec::read_only.
  std::atomic<bool> standby{false};

  /// Sync mode: appends are acknowledged once the standby has them, and
  /// readers see records only below replicated_end.
  std::atomic<bool> sync{false};

  /// Sync mode gave way to async (ha.sync_fallback = async).
  std::atomic<bool> degraded{false};

  /// The log's end when sync mode degraded: it comes back only once the
  /// standby has confirmed all of that (it is connected and catching up,
  /// not merely a few records behind a partition).
  std::atomic<uint64_t> degraded_at_end{0};

  /// Sync mode refuses writes: the standby did not confirm one in time
  /// (ha.sync_fallback = refuse), until it has the whole log.
  std::atomic<bool> stalled{false};

  /// Why sync replication is not as configured ("" when it is, or async).
  std::string sync_problem() const {
    if (!sync || standby)
      return {};
    if (degraded)
      return "sync mode fell back to async (ha.sync_fallback = async): writes are "
             "acknowledged on this node alone until the standby catches up";
    if (stalled)
      return "sync mode: the standby did not confirm a write in time; writes are "
             "refused until it has the whole log";
    return {};
  }

  /// Set when a peer showed that a later epoch exists: this node was
  /// replaced as primary and refuses writes (fenced).
  std::atomic<uint64_t> superseded_by{0};

  /// Why a write is refused here: fenced, or a standby (naming the primary).
  std::string read_only_reason() const {
    if (auto e = superseded_by.load())
      return "this node was replaced by a primary of epoch " + std::to_string(e)
             + ": it refuses writes; restart it as a standby of the new primary";
    auto url = primary_url();
    return "this node is a standby: send writes to the primary"
           + (url.empty() ? std::string{} : " at " + url);
  }

  /// Fences the node: a later epoch `e` exists elsewhere.
  void fence(uint64_t e) {
    superseded_by = e;
    standby = true;
  }

  /// The end offset durable on the standby (sync mode's watermark).
  std::atomic<uint64_t> replicated_end{0};

  /// Sync mode's settings (ha.sync_timeout_ms, ha.sync_fallback = async).
  std::atomic<uint64_t> sync_timeout_ms{5000};
  std::atomic<bool> fallback_async{false};

  /// How close (in records) the standby must come to the log's end for a
  /// degraded sync mode to come back: under steady load the watermark
  /// trails the end by the records in flight, so it may never equal it.
  static constexpr uint64_t catch_up_slack = 1024;

  /// Records below this were acknowledged while sync mode was degraded:
  /// readers saw them, so they stay visible when sync mode comes back
  /// before the standby has confirmed them (docs/ha.md).
  std::atomic<uint64_t> acknowledged_floor{0};

  /// What sync mode counts as confirmed: the watermark, or what was
  /// acknowledged while degraded if that is further.
  uint64_t confirmed_end() const {
    return std::max(replicated_end.load(), acknowledged_floor.load());
  }

  /// Raises `published` (the registry's log end) to what readers of a log
  /// ending at `log_end` may see; under the same lock as
  /// restore_sync(), so that a log end published while degraded is
  /// always inside the floor restore_sync() sets.
  void publish_visible(uint64_t log_end, std::atomic<uint64_t>& published) {
    std::lock_guard<std::mutex> guard{mutex_};
    auto visible = visible_end(log_end);
    auto old = published.load();
    while (visible > old && !published.compare_exchange_weak(old, visible)) {
    }
  }

  /// Ends a degraded sync mode with the log ending at `log_end`: what was
  /// acknowledged (and perhaps published) until now stays visible, later
  /// writes wait for the standby again.
  void restore_sync(uint64_t log_end, const std::atomic<uint64_t>& published) {
    std::lock_guard<std::mutex> guard{mutex_};
    acknowledged_floor = std::max({acknowledged_floor.load(), log_end, published.load()});
    degraded = false;
  }

  /// Whether appends wait for the standby and readers stop at the
  /// watermark now: sync mode on a primary that has not fallen back.
  bool sync_active() const {
    // A fenced primary (superseded_by) is a standby for writes, but what
    // it holds unconfirmed stays unconfirmed: its readers stay at the
    // watermark and its held acknowledgements fail.
    return sync && !degraded && (!standby || superseded_by.load() != 0);
  }

  /// What readers of a log ending at `log_end` may see: all of it, or in
  /// sync mode only what the standby has durably (docs/ha.md).
  uint64_t visible_end(uint64_t log_end) const {
    return sync_active() ? std::min(log_end, confirmed_end()) : log_end;
  }

  /// Sets the watermark to `end` exactly: when the log opens (what it holds
  /// then is readable, docs/ha.md) and when this node is promoted.
  /// Tells the watermark listener, as a move of the watermark does.
  void reset_watermark(uint64_t end) {
    std::function<void(uint64_t)> f;
    {
      std::lock_guard<std::mutex> guard{mutex_};
      replicated_end = end;
      acknowledged_floor = std::min(acknowledged_floor.load(), end);
      watermark_set_ = true;
      f = watermark_listener_;
    }
    if (f)
      f(end);
  }

  /// Whether reset_watermark ran in this process.
  bool watermark_set() const {
    std::lock_guard<std::mutex> guard{mutex_};
    return watermark_set_;
  }

  /// This node's name in status.
  std::string name;

  /// The log, while the event log actor has it open (else null).
  std::shared_ptr<storage::segment_log> log() const {
    std::lock_guard<std::mutex> guard{mutex_};
    return log_;
  }

  void publish_log(std::shared_ptr<storage::segment_log> x) {
    std::lock_guard<std::mutex> guard{mutex_};
    log_ = std::move(x);
  }

  /// Called (on any thread) whenever replicated_end moves (the event log
  /// actor's, while it runs; an empty function to clear).
  void set_watermark_listener(std::function<void(uint64_t)> f) {
    std::lock_guard<std::mutex> guard{mutex_};
    watermark_listener_ = std::move(f);
  }

  void replicated(uint64_t end) {
    std::function<void(uint64_t)> f;
    {
      std::lock_guard<std::mutex> guard{mutex_};
      auto old = replicated_end.load();
      while (end > old && !replicated_end.compare_exchange_weak(old, end)) {
      }
      f = watermark_listener_;
    }
    if (f)
      f(end);
  }

  /// Registers an eventfd that notify_commit() signals (a sender waiting
  /// for records).
  void add_waker(int fd) {
    std::lock_guard<std::mutex> guard{mutex_};
    wakers_.push_back(fd);
  }

  void remove_waker(int fd) {
    std::lock_guard<std::mutex> guard{mutex_};
    wakers_.erase(std::remove(wakers_.begin(), wakers_.end(), fd), wakers_.end());
  }

  /// Called by the log's commit listener: wakes every sender.
  void notify_commit() {
    std::lock_guard<std::mutex> guard{mutex_};
    uint64_t one = 1;
    for (auto fd : wakers_)
      [[maybe_unused]] auto n = ::write(fd, &one, sizeof(one));
  }

  std::map<std::string, standby_view> standbys() const {
    std::lock_guard<std::mutex> guard{mutex_};
    return standbys_;
  }

  void update_standby(const standby_view& x) {
    std::lock_guard<std::mutex> guard{mutex_};
    standbys_[x.name] = x;
  }

  /// Publishes `x` only while its connection (x.peer) is the standby's
  /// latest: two connections under one ha.name (a reconnect before the old
  /// one timed out) never overwrite the newer one. Returns false if a newer
  /// connection holds the name.
  bool update_standby_if_current(const standby_view& x) {
    std::lock_guard<std::mutex> guard{mutex_};
    auto i = standbys_.find(x.name);
    if (i != standbys_.end() && i->second.peer != x.peer)
      return false;
    standbys_[x.name] = x;
    return true;
  }

  follower_view follower() const {
    std::lock_guard<std::mutex> guard{mutex_};
    return follower_;
  }

  template <class F>
  void update_follower(F f) {
    std::lock_guard<std::mutex> guard{mutex_};
    f(follower_);
  }

  /// How to find the sources whose password this node lacks (set by the
  /// node: the sources module knows how; docs/ha.md).
  void set_password_check(std::function<std::vector<std::string>()> f) {
    std::lock_guard<std::mutex> guard{mutex_};
    password_check_ = std::move(f);
  }

  std::vector<std::string> sources_without_password() const {
    std::function<std::vector<std::string>()> f;
    {
      std::lock_guard<std::mutex> guard{mutex_};
      f = password_check_;
    }
    return f ? f() : std::vector<std::string>{};
  }

  /// The primary's HTTP URL, for read_only errors ("" if unknown yet).
  std::string primary_url() const {
    std::lock_guard<std::mutex> guard{mutex_};
    return follower_.primary_url;
  }

private:
  mutable std::mutex mutex_;
  std::shared_ptr<storage::segment_log> log_;
  std::function<void(uint64_t)> watermark_listener_;
  std::function<std::vector<std::string>()> password_check_;
  bool watermark_set_ = false;
  std::map<std::string, standby_view> standbys_;
  follower_view follower_;
  std::vector<int> wakers_;
};

} // namespace almanac::runtime
