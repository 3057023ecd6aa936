// segment_log: the writer thread (group commit, rolling, syncing).

#include "storage/log/segment_log.hpp"
#include "messages/time.hpp"
#include "messages/log_limit.hpp"

#include "messages/error.hpp"
#include "storage/log/record_format.hpp"

#include <spdlog/spdlog.h>

#include <cassert>
#include <filesystem>

namespace almanac::storage {

bool segment_log::inject(fault_point point) const {
  return opts_.inject_fault && opts_.inject_fault(point);
}

void segment_log::fail_stop(const caf::error& err) {
  std::lock_guard<std::mutex> guard{state_mutex_};
  if (!failure_) {
    failure_ = err;
    failed_.store(true, std::memory_order_release);
    spdlog::error("[log] {} refuses further appends: {}", opts_.dir,
                  render(err));
  }
}

caf::error segment_log::sync_active() {
  if (!unsynced_)
    return caf::none;
  auto started = std::chrono::steady_clock::now();
  auto err = inject(fault_point::sync)
               ? make_error(ec::io_error,
                            "cannot fdatasync " + active_->path()
                              + ": injected fault")
               : active_->data().sync();
  if (err)
    return err;
  unsynced_ = false;
  last_sync_ = std::chrono::steady_clock::now();
  std::lock_guard<std::mutex> guard{state_mutex_};
  ++stats_.syncs;
  stats_.sync_time += last_sync_ - started;
  flushed_end_offset_ = written_offset_;
  flushed_end_position_ = active_->base_position() + written_size_;
  return caf::none;
}

caf::error segment_log::roll_segment(uint64_t epoch) {
  // The history first: after a crash between the two, it names an epoch
  // with no records, which is harmless; a segment of an epoch the history
  // lacks would not be (recover_epochs adds it back anyway).
  if (epoch != epoch_)
    if (auto err = record_epoch(epoch, written_offset_))
      return err;
  if (written_size_ == 0) {
    // Nothing in the active segment: replace it rather than leave an empty
    // segment behind (two segments must never share a base offset).
    if (epoch == active_->epoch())
      return caf::none;
    auto old = active_;
    auto seg = segment::create(opts_.dir, old->base_offset(), epoch,
                               old->base_position());
    if (!seg)
      return std::move(seg.error());
    if (auto err = (*seg)->open_index_for_append())
      return err;
    old->close();
    std::error_code fs_err;
    std::filesystem::remove(old->path(), fs_err);
    std::filesystem::remove(old->index_path(), fs_err);
    if (auto err = sync_directory(opts_.dir))
      return err;
    (*seg)->end_offset(written_offset_);
    std::lock_guard<std::mutex> guard{state_mutex_};
    segments_.back() = *seg;
    active_ = *seg;
    epoch_ = epoch;
    return caf::none;
  }
  // Seal the active segment: its data and index are synced before the next
  // segment exists, so recovery may treat it as whole.
  if (auto err = sync_active())
    return err;
  if (auto err = active_->close_index())
    return err;
  auto seg = segment::create(opts_.dir, written_offset_, epoch,
                             active_->base_position() + written_size_);
  if (!seg)
    return std::move(seg.error());
  if (auto err = (*seg)->open_index_for_append())
    return err;
  (*seg)->end_offset(written_offset_);
  spdlog::debug("[log] rolled to segment {}", (*seg)->path());
  std::lock_guard<std::mutex> guard{state_mutex_};
  segments_.push_back(*seg);
  active_ = *seg;
  written_size_ = 0;
  epoch_ = epoch;
  return caf::none;
}

void segment_log::run_writer() {
  request_list batch;
  const bool interval = opts_.fsync == fsync_policy::interval;
  for (;;) {
    if (crashing_)
      return;
    bool need_roll = false;
    if (!take_batch(batch, need_roll)) {
      // Nothing to do: leave once closed and drained, else sleep until a
      // push (or the next periodic fdatasync is due).
      if (inbox_.closed()) {
        if (inbox_.quiescent() && inbox_.empty())
          return;
        std::this_thread::yield();
        continue;
      }
      if (interval && unsynced_)
        inbox_.wait_until(last_sync_ + opts_.fsync_interval);
      else
        inbox_.wait();
    } else {
      if (batch.front()->roll)
        handle_roll(batch);
      else if (batch.front()->raw)
        write_frames(batch);
      else if (batch.front()->cut)
        handle_truncate(batch);
      else
        write_batch(batch, need_roll);
      batch.clear();
    }
    if (interval && unsynced_
        && std::chrono::steady_clock::now()
             >= last_sync_ + opts_.fsync_interval)
      if (auto err = sync_active())
        fail_stop(err);
  }
}

bool segment_log::take_batch(request_list& batch, bool& need_roll) {
  inbox_.take_all(pending_);
  if (pending_.empty())
    return false;
  if (opts_.max_batch_delay.count() > 0 && !inbox_.closed()) {
    // Give more producers a chance to join this batch.
    std::this_thread::sleep_for(opts_.max_batch_delay);
    inbox_.take_all(pending_);
  }
  if (pending_.front()->solo()) {
    batch.push_back(std::move(pending_.front()));
    pending_.pop_front();
    return true;
  }
  // Take requests up to max_batch_bytes and the room left in the segment
  // (rolling first if the first request does not fit).
  need_roll = written_size_ > 0
              && written_size_ + pending_.front()->bytes > opts_.segment_bytes;
  auto room = need_roll ? opts_.segment_bytes
                        : opts_.segment_bytes
                            - std::min(written_size_, opts_.segment_bytes);
  auto limit = std::min<uint64_t>(opts_.max_batch_bytes, room);
  uint64_t taken = 0;
  while (!pending_.empty() && !pending_.front()->solo()) {
    auto bytes = pending_.front()->bytes;
    if (!batch.empty() && taken + bytes > limit)
      break;
    taken += bytes;
    batch.push_back(std::move(pending_.front()));
    pending_.pop_front();
  }
  return true;
}

void segment_log::handle_roll(request_list& batch) {
  auto& req = *batch.front();
  caf::error err = failure();
  if (!err && req.roll_epoch && *req.roll_epoch < epoch_)
    err = make_error(ec::invalid_argument,
                     "epoch " + std::to_string(*req.roll_epoch)
                       + " is below the log's epoch "
                       + std::to_string(epoch_));
  if (!err) {
    err = roll_segment(req.roll_epoch.value_or(epoch_));
    if (err)
      fail_stop(err);
  }
  ack_job job;
  job.batch = std::move(batch);
  job.error = std::move(err);
  post_ack(std::move(job));
}

void segment_log::fail_batch(request_list& batch, const caf::error& err) {
  ack_job job;
  job.batch = std::move(batch);
  job.error = err;
  post_ack(std::move(job));
}

void segment_log::write_batch(request_list& batch, bool need_roll) {
  auto fail = [&](const caf::error& err) { fail_batch(batch, err); };
  if (auto err = failure())
    return fail(err);
  if (need_roll) {
    if (auto err = roll_segment(epoch_)) {
      fail_stop(err);
      return fail(err);
    }
  }
  // Encode every record of the batch into one buffer.
  batch_buf_.clear();
  std::string index_buf;
  std::vector<index_entry> new_entries;
  auto& index = active_->index();
  uint64_t last_indexed = index.entries().empty()
                            ? 0
                            : index.entries().back().file_pos;
  uint64_t offset = written_offset_;
  uint64_t pos = written_size_;
  const auto base = active_->base_position();
  const auto timestamp = now_ms();
  std::vector<append_result> results;
  results.reserve(batch.size());
  for (auto& req : batch) {
    append_result result;
    result.first_offset = offset;
    result.count = req->records.size();
    result.first_position = base + pos;
    for (auto& rec : req->records) {
      if (pos - last_indexed >= opts_.index_interval_bytes) {
        index_entry entry{offset, pos};
        new_entries.push_back(entry);
        index.serialize_entry(entry, index_buf);
        last_indexed = pos;
      }
      auto before = batch_buf_.size();
      encode_frame(batch_buf_, offset, epoch_,
                   rec.timestamp_ms.value_or(timestamp), rec.type, rec.key,
                   rec.payload);
      pos += batch_buf_.size() - before;
      ++offset;
    }
    result.end_position = base + pos;
    results.push_back(result);
  }
  // One write for the whole batch.
  auto write_started = std::chrono::steady_clock::now();
  auto err = inject(fault_point::write)
               ? make_error(ec::io_error, "cannot write " + active_->path()
                                            + ": injected fault")
               : active_->data().write_at(batch_buf_.data(),
                                          batch_buf_.size(), written_size_);
  if (err) {
    static log_limit limit;
    if (uint64_t held = 0; limit.allow(held))
      spdlog::error("[log] write of {} records failed: {} ({} more failed writes in the last 10 s)",
                    offset - written_offset_, render(err), held);
    // Take back whatever part of the batch reached the file, so that the
    // next batch starts at a frame boundary; if that fails too, stop.
    if (auto terr = active_->data().truncate(written_size_))
      fail_stop(terr);
    return fail(err);
  }
  auto write_time = std::chrono::steady_clock::now() - write_started;
  written_offset_ = offset;
  written_size_ = pos;
  unsynced_ = true;
  if (opts_.fsync == fsync_policy::always) {
    // The records may or may not be on disk now: no one learns their
    // offsets, and the log stops (after fsyncgate, a retry proves nothing).
    if (auto serr = sync_active()) {
      fail_stop(serr);
      return fail(serr);
    }
  }
  auto listener = publish_write(index_buf, new_entries, batch.size(),
                                offset - results.front().first_offset,
                                batch_buf_.size(), write_time);
  ack_job job;
  job.batch = std::move(batch);
  job.results = std::move(results);
  job.listener = std::move(listener);
  job.end_offset = written_offset_;
  job.io_time = std::chrono::steady_clock::now() - write_started;
  post_ack(std::move(job));
}

commit_listener
segment_log::publish_write(const std::string& index_buf,
                           const std::vector<index_entry>& entries,
                           uint64_t requests, uint64_t records, uint64_t bytes,
                           std::chrono::nanoseconds write_time) {
  if (!index_buf.empty())
    if (auto ierr = active_->append_index(index_buf))
      spdlog::warn("[log] cannot append to index {} (it will be rebuilt on "
                   "open): {}",
                   active_->index_path(), render(ierr));
  std::lock_guard<std::mutex> guard{state_mutex_};
  for (auto& entry : entries)
    active_->index().add(entry);
  active_->committed_size(written_size_);
  active_->end_offset(written_offset_);
  end_offset_ = written_offset_;
  end_position_ = active_->base_position() + written_size_;
  ++stats_.batches;
  stats_.requests += requests;
  stats_.records += records;
  stats_.bytes += bytes;
  stats_.write_time += write_time;
  return listener_;
}

} // namespace almanac::storage
