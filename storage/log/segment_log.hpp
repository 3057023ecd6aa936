#pragma once

// The durable event log: append-only segment files with group commit,
// crash recovery and offset-addressed reads. Usable without an actor system
// (the CLI opens it offline); the actor layer wraps it.
//
// Threads: one writer thread owned by the log does all writes and syncs.
// Append callbacks and the commit listener run in commit order, one at a
// time, on the writer thread or on the log's acknowledgement thread (see
// post_ack() for which). append() and read() may be called from any
// thread; callbacks must be quick and must not block on the log (no
// append_sync(), roll() or close() in them).
//
// Offsets: dense from 0. Three ends are kept apart (Redpanda style), with
// flushed <= committed <= written:
//   written   - bytes handed to write(2) (writer thread only),
//   committed - acknowledged to producers and visible to readers,
//   flushed   - covered by an fdatasync.
// Under fsync_policy::always committed == flushed after every batch.
//
// Directory layout: <dir>/LOCK, <dir>/<base:20>-<epoch:4>.log and .idx.

#include "storage/log/dir_lock.hpp"
#include "storage/log/epoch_history.hpp"
#include "storage/log/frame_run.hpp"
#include "storage/log/log_options.hpp"
#include "storage/log/record.hpp"
#include "storage/log/request_inbox.hpp"
#include "storage/log/segment.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <limits>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace almanac::storage {

/// An append-only, segmented, crash-safe event log.
class segment_log {
public:
  /// Opens (or creates) the log in `opts.dir`: locks the directory, recovers
  /// the tail of the last segment (see segment_scan.hpp for the tail rule)
  /// and starts the writer thread. Fails with ec::locked if another opener
  /// holds the directory, ec::corrupt_data if a record other than a torn
  /// tail is damaged, ec::not_found if there is no log and !opts.create.
  static caf::expected<std::unique_ptr<segment_log>> open(log_options opts);

  /// Closes the log (see close()).
  ~segment_log();

  segment_log(const segment_log&) = delete;
  segment_log& operator=(const segment_log&) = delete;

  /// Returns what open() found and did.
  const open_report& report() const {
    return report_;
  }

  const log_options& options() const {
    return opts_;
  }

  /// Queues `records` for appending; they get consecutive offsets. `done`
  /// runs on a log thread once the records are acknowledged (per the
  /// fsync policy) or failed; on failure no offset is claimed. Invalid input
  /// (empty or too long type, frame larger than max_frame_size) or a closed
  /// or failed log calls `done` at once on the caller's thread.
  void append(std::vector<record_input> records, append_callback done);

  /// Appends and waits for the acknowledgement.
  caf::expected<append_result> append_sync(std::vector<record_input> records);

  /// Starts a new segment after the records queued so far; with `epoch`
  /// (not below the current one), records from now on carry that epoch.
  /// Waits until done.
  caf::error roll(std::optional<uint64_t> epoch = std::nullopt);

  // -- replication (segment_log_replica.cpp) ---------------------------------

  /// Reads acknowledged frames byte-exact, from `from` on, within the one
  /// segment that holds `from`: whole frames, at most `max_bytes` of them
  /// (but at least one if any is there). Each frame's checksum is checked.
  /// At end_offset() the run is empty and names the active segment.
  caf::expected<frame_run> read_frames(uint64_t from, size_t max_bytes) const;

  /// Queues a run read from another log (a standby appending its primary's
  /// frames). The run must start at this log's end and position; a run of
  /// a segment that does not exist here yet starts that segment (with its
  /// epoch), so that both logs have the same segments. Frames are checked
  /// (check_frame_run) on the caller's thread; `done` runs once they are
  /// durable, like an append's.
  void append_frames(frame_run run, append_callback done);

  /// Removes every record at or after `offset` (a standby's divergent
  /// tail): later segments are deleted, the one holding `offset` is cut,
  /// the epoch history loses the epochs that started later. Waits until
  /// done. Offsets at or past the end are a no-op.
  caf::error truncate(uint64_t offset);

  /// The epoch history (epoch_history.hpp), kept in <dir>/epochs.
  epoch_history epochs() const;

  /// Reads acknowledged records from `from` on: at most `max_records`, and
  /// no more bytes of frames than `max_bytes` (but always at least one
  /// record if any is there). Reading at or past end_offset() returns no
  /// records; below start_offset() is ec::invalid_argument. A record that
  /// fails its checksum is ec::corrupt_data naming segment and position.
  caf::expected<std::vector<record>>
  read(uint64_t from, size_t max_records,
       size_t max_bytes = std::numeric_limits<size_t>::max()) const;

  /// First offset in the log.
  uint64_t start_offset() const;

  /// Next offset to assign: the number of acknowledged records so far.
  uint64_t end_offset() const;

  /// Log position after the last acknowledged record.
  uint64_t end_position() const;

  /// Offset after the last record covered by an fdatasync.
  uint64_t flushed_end_offset() const;

  /// Log position after the last record covered by an fdatasync.
  uint64_t flushed_end_position() const;

  /// Epoch of newly appended records.
  uint64_t epoch() const;

  /// Returns the writer's counters.
  writer_stats stats() const;

  /// Describes every segment.
  std::vector<segment_info> segments() const;

  /// Sets the function called (on a log thread) with the new end
  /// offset after each acknowledged batch, before the batch's append
  /// callbacks run. Replaces any previous one.
  void set_commit_listener(commit_listener listener);

  /// Returns the error that stopped the log (fail-stop), if any.
  caf::error failure() const;

  /// Writes what is queued, syncs, writes the active index, stops the
  /// writer and releases the directory. Idempotent.
  caf::error close();

  /// Test hook simulating a crash: stops the writer after its current
  /// batch, fails queued appends with ec::unavailable and closes every file
  /// without syncing or writing indexes. Bytes written but not synced stay
  /// in the page cache, as after a process crash.
  void crash_for_testing();

private:
  /// One queued append or roll request.
  struct request {
    std::vector<record_input> records;
    append_callback done;
    /// Encoded size of the records.
    uint64_t bytes = 0;
    /// Set for a roll request.
    bool roll = false;
    std::optional<uint64_t> roll_epoch;
    /// Called for roll and truncate requests.
    std::function<void(caf::error)> roll_done;
    /// Set for a run of another log's frames (append_frames).
    bool raw = false;
    frame_run run;
    /// Set for a truncate request.
    bool cut = false;
    uint64_t cut_offset = 0;

    /// Whether the writer handles this request in a batch of its own.
    bool solo() const {
      return roll || raw || cut;
    }
    /// Link in the inbox.
    request* next = nullptr;
  };

  using request_ptr = std::unique_ptr<request>;
  using request_list = std::vector<request_ptr>;

  /// The callbacks of one processed batch.
  struct ack_job {
    request_list batch;
    /// One per request on success; empty if the batch failed with `error`.
    std::vector<append_result> results;
    caf::error error;
    /// Set after a successful batch: called with `end_offset` first.
    commit_listener listener;
    uint64_t end_offset = 0;
    /// Time the writer spent writing and syncing the batch.
    std::chrono::nanoseconds io_time{0};
  };

  explicit segment_log(log_options opts);

  /// Queues a roll or truncate request and waits for its outcome.
  caf::error run_solo(request_ptr req);

  // -- opening (segment_log_open.cpp) ----------------------------------------

  caf::error recover();
  caf::error load_sealed_segment(segment& seg, uint64_t next_base);
  caf::error recover_last_segment(segment& seg);
  caf::error apply_epoch_option();
  caf::error recover_epochs();

  // -- writer thread (segment_log_writer.cpp) --------------------------------

  void run_writer();
  bool take_batch(request_list& batch, bool& need_roll);
  void write_batch(request_list& batch, bool need_roll);
  void handle_roll(request_list& batch);
  void fail_batch(request_list& batch, const caf::error& err);
  /// After a batch is written (and synced per the policy): appends its
  /// index entries, publishes the new ends, counts it; returns the commit
  /// listener to call.
  commit_listener publish_write(const std::string& index_buf,
                                const std::vector<index_entry>& entries,
                                uint64_t requests, uint64_t records,
                                uint64_t bytes,
                                std::chrono::nanoseconds write_time);

  // -- replication, writer side (segment_log_replica.cpp) --------------------

  void write_frames(request_list& batch);
  caf::error write_run(const frame_run& run);
  void handle_truncate(request_list& batch);
  caf::error truncate_at(uint64_t offset);
  /// Adds `epoch` at `start` to the history and saves it.
  caf::error record_epoch(uint64_t epoch, uint64_t start);

  // -- acknowledgements (segment_log_ack.cpp) --------------------------------

  void post_ack(ack_job job);
  void deliver(ack_job& job);
  void run_acker();
  void stop_acker();
  caf::error roll_segment(uint64_t epoch);
  caf::error sync_active();
  bool inject(fault_point point) const;
  void fail_stop(const caf::error& err);
  void stop_writer(bool drain);

  // -- reading (segment_log.cpp) ---------------------------------------------

  caf::error read_segment(const segment_ptr& seg, uint64_t from,
                          uint64_t file_end, size_t max_records,
                          size_t& bytes_left,
                          std::vector<record>& out) const;

  log_options opts_;
  open_report report_;
  dir_lock lock_;

  // Guarded by state_mutex_: what readers and observers see.
  mutable std::mutex state_mutex_;
  std::vector<segment_ptr> segments_;
  uint64_t end_offset_ = 0;
  uint64_t end_position_ = 0;
  uint64_t flushed_end_offset_ = 0;
  uint64_t flushed_end_position_ = 0;
  uint64_t epoch_ = 1;
  epoch_history epochs_;
  caf::error failure_;
  /// Mirrors `failure_` being set, for a lock-free check on every append.
  std::atomic<bool> failed_{false};
  writer_stats stats_;
  commit_listener listener_;
  bool closed_ = false;

  // The group-commit queue from producers to the writer.
  request_inbox<request> inbox_;
  std::atomic<bool> crashing_{false};

  // Owned by the writer thread (and by open() before it starts).
  std::deque<request_ptr> pending_;
  segment_ptr active_;
  uint64_t written_offset_ = 0;
  uint64_t written_size_ = 0;
  bool unsynced_ = false;
  std::chrono::steady_clock::time_point last_sync_;
  std::string batch_buf_;

  // Guarded by ack_mutex_: work for the acknowledgement thread.
  std::mutex ack_mutex_;
  std::condition_variable ack_cv_;
  std::deque<ack_job> acks_;
  bool ack_stop_ = false;
  /// True while the acknowledgement thread runs jobs outside the lock.
  bool ack_running_ = false;
  /// Moving average of the cost of one request's callback, in ns.
  double ack_ns_per_request_ = 0;

  std::thread writer_;
  std::thread acker_;
  std::mutex close_mutex_;
};

} // namespace almanac::storage
