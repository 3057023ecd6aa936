// segment_log: what replication needs — byte-exact reads and appends of
// frames, truncation of a divergent tail, the epoch history.

#include "storage/log/segment_log.hpp"

#include "messages/error.hpp"
#include "storage/log/completion.hpp"
#include "storage/log/frame_reader.hpp"
#include "storage/log/little_endian.hpp"
#include "storage/log/record_format.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>

namespace almanac::storage {

caf::error check_frame_run(const frame_run& run) {
  size_t pos = 0;
  uint64_t expected = run.first_offset;
  for (uint64_t i = 0; i < run.count; ++i) {
    auto where = [&] {
      return " (frame " + std::to_string(i) + " of a run from offset "
             + std::to_string(run.first_offset) + ", byte "
             + std::to_string(pos) + ")";
    };
    frame_view view;
    auto status = decode_frame(run.bytes.data() + pos, run.bytes.size() - pos,
                               view);
    if (status != frame_status::ok)
      return make_error(ec::corrupt_data, std::string{"corrupt frame: "}
                                            + to_string(status) + where());
    if (view.offset != expected)
      return make_error(ec::corrupt_data,
                        "frame has offset " + std::to_string(view.offset)
                          + " where " + std::to_string(expected)
                          + " was expected" + where());
    if (view.epoch != run.segment_epoch)
      return make_error(ec::corrupt_data,
                        "frame has epoch " + std::to_string(view.epoch)
                          + " in a segment of epoch "
                          + std::to_string(run.segment_epoch) + where());
    pos += view.size;
    ++expected;
  }
  if (pos != run.bytes.size())
    return make_error(ec::corrupt_data,
                      std::to_string(run.bytes.size() - pos)
                        + " bytes follow the last of "
                        + std::to_string(run.count) + " frames");
  return caf::none;
}

// -- reading -----------------------------------------------------------------

caf::expected<frame_run> segment_log::read_frames(uint64_t from,
                                                  size_t max_bytes) const {
  segment_ptr seg;
  index_entry start;
  uint64_t size = 0;
  uint64_t end = 0;
  {
    std::lock_guard<std::mutex> guard{state_mutex_};
    if (closed_)
      return make_error(ec::unavailable, "log " + opts_.dir + " is closed");
    if (from < segments_.front()->base_offset() || from > end_offset_)
      return make_error(ec::invalid_argument,
                        "offset " + std::to_string(from) + " is outside the log ["
                          + std::to_string(segments_.front()->base_offset())
                          + ", " + std::to_string(end_offset_) + "]");
    auto i = std::upper_bound(segments_.begin(), segments_.end(), from,
                              [](uint64_t x, const segment_ptr& s) {
                                return x < s->base_offset();
                              });
    --i;
    // At a sealed segment's end the records go on in the next one.
    while ((*i)->end_offset() <= from && i + 1 != segments_.end())
      ++i;
    seg = *i;
    start = seg->index().lookup(from);
    size = seg->committed_size();
    end = seg->end_offset();
  }
  frame_run run;
  run.segment_base = seg->base_offset();
  run.segment_epoch = seg->epoch();
  run.first_offset = from;
  if (from >= end) {
    run.first_position = seg->base_position() + size;
    return run;
  }
  frame_reader reader{seg->data(), start.file_pos, size};
  frame_view view;
  auto offset = start.offset;
  uint64_t first_pos = 0;
  bool started = false;
  while (offset < end) {
    auto pos = reader.position();
    auto status = reader.next(view);
    if (reader.io_error())
      return reader.io_error();
    if (status != frame_status::ok || view.offset != offset)
      return make_error(ec::corrupt_data,
                        std::string{"corrupt record ("}
                          + (status != frame_status::ok ? to_string(status)
                                                        : "offset out of order")
                          + ") in segment " + seg->path() + " at byte "
                          + std::to_string(pos));
    ++offset;
    if (view.offset < from)
      continue;
    if (!started) {
      started = true;
      first_pos = pos;
      run.first_position = seg->base_position() + pos;
    } else if (pos + view.size - first_pos > max_bytes) {
      break;
    }
    run.bytes.append(reinterpret_cast<const char*>(view.type.data())
                       - record_header_size,
                     view.size);
    ++run.count;
  }
  return run;
}

epoch_history segment_log::epochs() const {
  std::lock_guard<std::mutex> guard{state_mutex_};
  return epochs_;
}

// -- appending another log's frames ------------------------------------------

void segment_log::append_frames(frame_run run, append_callback done) {
  if (!done)
    done = [](const caf::expected<append_result>&) {};
  if (auto err = check_frame_run(run))
    return done(err);
  if (auto err = failure())
    return done(err);
  auto req = std::make_unique<request>();
  req->bytes = run.bytes.size();
  req->raw = true;
  req->run = std::move(run);
  req->done = std::move(done);
  if (!inbox_.push(req))
    req->done(make_error(ec::unavailable, "log " + opts_.dir + " is closed"));
}

void segment_log::write_frames(request_list& batch) {
  auto& run = batch.front()->run;
  auto err = failure();
  if (!err)
    err = write_run(run);
  if (err) {
    fail_batch(batch, err);
    return;
  }
  append_result result;
  result.first_offset = run.first_offset;
  result.count = run.count;
  result.first_position = run.first_position;
  result.end_position = run.first_position + run.bytes.size();
  commit_listener listener;
  {
    std::lock_guard<std::mutex> guard{state_mutex_};
    listener = listener_;
  }
  ack_job job;
  job.batch = std::move(batch);
  job.results.push_back(result);
  job.listener = std::move(listener);
  job.end_offset = written_offset_;
  post_ack(std::move(job));
}

caf::error segment_log::write_run(const frame_run& run) {
  auto refuse = [&](const std::string& what) {
    return make_error(ec::invalid_argument,
                      "frames from offset " + std::to_string(run.first_offset)
                        + " do not continue the log " + opts_.dir + ": "
                        + what);
  };
  if (run.first_offset != written_offset_)
    return refuse("it ends at offset " + std::to_string(written_offset_));
  if (run.segment_base != active_->base_offset()
      || run.segment_epoch != active_->epoch()) {
    // The run starts a segment: here too, at the same offset and position.
    if (run.segment_base != written_offset_)
      return refuse("their segment starts at "
                    + std::to_string(run.segment_base));
    if (run.segment_epoch < epoch_)
      return refuse("their epoch " + std::to_string(run.segment_epoch)
                    + " is below the log's " + std::to_string(epoch_));
    if (written_size_ > 0 || run.segment_epoch != active_->epoch())
      if (auto err = roll_segment(run.segment_epoch)) {
        fail_stop(err);
        return err;
      }
  }
  auto base = active_->base_position();
  if (run.first_position != base + written_size_)
    return refuse("they start at log position "
                  + std::to_string(run.first_position) + ", the log ends at "
                  + std::to_string(base + written_size_));
  if (run.count == 0)
    return caf::none;
  // Index entries, as the log's own writer would place them.
  auto& index = active_->index();
  uint64_t last_indexed = index.entries().empty()
                            ? 0
                            : index.entries().back().file_pos;
  std::string index_buf;
  std::vector<index_entry> new_entries;
  uint64_t pos = written_size_;
  uint64_t offset = written_offset_;
  for (size_t at = 0; at < run.bytes.size(); ++offset) {
    if (pos - last_indexed >= opts_.index_interval_bytes) {
      index_entry entry{offset, pos};
      new_entries.push_back(entry);
      index.serialize_entry(entry, index_buf);
      last_indexed = pos;
    }
    auto len = load_le<uint32_t>(run.bytes.data() + at + 12);
    at += len;
    pos += len;
  }
  auto started = std::chrono::steady_clock::now();
  if (auto err = active_->data().write_at(run.bytes.data(), run.bytes.size(),
                                          written_size_)) {
    if (auto terr = active_->data().truncate(written_size_))
      fail_stop(terr);
    return err;
  }
  auto write_time = std::chrono::steady_clock::now() - started;
  written_offset_ = offset;
  written_size_ = pos;
  unsynced_ = true;
  if (opts_.fsync == fsync_policy::always)
    if (auto serr = sync_active()) {
      fail_stop(serr);
      return serr;
    }
  publish_write(index_buf, new_entries, 1, run.count, run.bytes.size(),
                write_time);
  return caf::none;
}

// -- truncation --------------------------------------------------------------

caf::error segment_log::truncate(uint64_t offset) {
  auto req = std::make_unique<request>();
  req->cut = true;
  req->cut_offset = offset;
  return run_solo(std::move(req));
}

void segment_log::handle_truncate(request_list& batch) {
  auto err = failure();
  if (!err) {
    err = truncate_at(batch.front()->cut_offset);
    if (err && err != ec::invalid_argument)
      fail_stop(err);
  }
  ack_job job;
  job.batch = std::move(batch);
  job.error = std::move(err);
  post_ack(std::move(job));
}

caf::error segment_log::truncate_at(uint64_t offset) {
  if (offset >= written_offset_)
    return caf::none;
  if (offset < segments_.front()->base_offset())
    return make_error(ec::invalid_argument,
                      "cannot truncate " + opts_.dir + " to offset "
                        + std::to_string(offset) + ", below its start "
                        + std::to_string(segments_.front()->base_offset()));
  if (auto err = sync_active())
    return err;
  size_t i = segments_.size() - 1;
  while (segments_[i]->base_offset() > offset)
    --i;
  auto seg = segments_[i];
  // The byte position of `offset` in its segment.
  auto start = seg->index().lookup(offset);
  frame_reader reader{seg->data(), start.file_pos, seg->committed_size()};
  frame_view view;
  for (auto at = start.offset; at < offset; ++at)
    if (reader.next(view) != frame_status::ok)
      return make_error(ec::corrupt_data,
                        "cannot find offset " + std::to_string(offset)
                          + " in segment " + seg->path());
  auto cut = reader.position();
  spdlog::warn("[log] truncating {} to offset {} (log position {}): {} records "
               "removed",
               opts_.dir, offset, seg->base_position() + cut,
               written_offset_ - offset);
  if (seg != active_) {
    if (auto err = active_->close_index())
      return err;
    auto reopened = segment::open(opts_.dir, {seg->base_offset(), seg->epoch()},
                                  seg->base_position(), true);
    if (!reopened)
      return std::move(reopened.error());
    (*reopened)->index().assign(seg->index().entries());
    seg = *reopened;
  }
  // Later segments go first: a crash midway leaves a shorter log that a
  // standby truncates again when it reconnects.
  for (size_t j = segments_.size() - 1; j > i; --j) {
    auto& later = segments_[j];
    later->close();
    std::error_code fs_err;
    std::filesystem::remove(later->path(), fs_err);
    std::filesystem::remove(later->index_path(), fs_err);
    if (fs_err)
      return make_error(ec::io_error, "cannot remove " + later->path() + ": "
                                        + fs_err.message());
  }
  if (auto err = seg->data().truncate(cut))
    return err;
  if (auto err = seg->data().sync())
    return err;
  if (auto err = sync_directory(opts_.dir))
    return err;
  std::vector<index_entry> kept;
  for (auto& e : seg->index().entries())
    if (e.offset < offset && e.file_pos < cut)
      kept.push_back(e);
  seg->index().assign(std::move(kept));
  seg->committed_size(cut);
  seg->end_offset(offset);
  if (auto err = seg->write_index())
    return err;
  if (auto err = seg->open_index_for_append())
    return err;
  auto history = epochs_;
  history.truncate(offset);
  if (history.latest() != seg->epoch())
    history.add(seg->epoch(), offset);
  if (auto err = history.save(opts_.dir))
    return err;
  std::lock_guard<std::mutex> guard{state_mutex_};
  segments_.resize(i + 1);
  segments_[i] = seg;
  active_ = seg;
  written_offset_ = offset;
  written_size_ = cut;
  end_offset_ = flushed_end_offset_ = offset;
  end_position_ = flushed_end_position_ = seg->base_position() + cut;
  epoch_ = seg->epoch();
  epochs_ = std::move(history);
  return caf::none;
}

// -- the epoch history -------------------------------------------------------

caf::error segment_log::record_epoch(uint64_t epoch, uint64_t start) {
  auto history = epochs_;
  if (auto err = history.add(epoch, start))
    return err;
  if (auto err = history.save(opts_.dir))
    return err;
  std::lock_guard<std::mutex> guard{state_mutex_};
  epochs_ = std::move(history);
  return caf::none;
}

caf::error segment_log::recover_epochs() {
  auto loaded = epoch_history::load(opts_.dir);
  epoch_history history;
  if (loaded) {
    history = std::move(*loaded);
  } else {
    spdlog::warn("[log] {}; rebuilding the epoch history from the segments",
                 render(loaded.error()));
  }
  auto before = history;
  // Epochs that started past the end lost their records (a crash during a
  // truncation); an epoch starting at the end holds none yet and stays.
  history.truncate(end_offset_ + 1);
  // Every segment's epoch is in the history (a crash after a segment of a
  // new epoch was created, or a log older than the history file).
  for (auto& seg : segments_)
    if (seg->epoch() > history.latest())
      if (auto err = history.add(seg->epoch(), seg->base_offset()))
        return err;
  // An epoch above the last segment's never got its segment: its roll
  // failed and was never acknowledged.
  if (history.latest() > epoch_) {
    auto entries = history.entries();
    while (!entries.empty() && entries.back().epoch > epoch_)
      entries.pop_back();
    history = epoch_history{std::move(entries)};
  }
  if (history.empty())
    history.add(epoch_, end_offset_);
  if (!loaded || !(history == before))
    if (auto err = history.save(opts_.dir))
      return err;
  epochs_ = std::move(history);
  return caf::none;
}

} // namespace almanac::storage
