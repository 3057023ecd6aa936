// segment_log: the public API, reading and closing.

#include "storage/log/segment_log.hpp"

#include "messages/error.hpp"
#include "storage/log/completion.hpp"
#include "storage/log/frame_reader.hpp"
#include "storage/log/record_format.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>

namespace almanac::storage {

segment_log::segment_log(log_options opts) : opts_(std::move(opts)) {
}

segment_log::~segment_log() {
  if (auto err = close())
    spdlog::error("[log] closing {} failed: {}", opts_.dir, render(err));
}

void segment_log::append(std::vector<record_input> records,
                         append_callback done) {
  if (!done)
    done = [](const caf::expected<append_result>&) {};
  uint64_t bytes = 0;
  for (auto& rec : records) {
    if (rec.type.empty() || rec.type.size() > max_type_size)
      return done(make_error(ec::invalid_argument,
                             "event type must have 1 to "
                               + std::to_string(max_type_size) + " bytes"));
    auto size = frame_size(rec.type.size(), rec.key.size(),
                           rec.payload.size());
    if (size > max_frame_size)
      return done(make_error(ec::invalid_argument,
                             "record of " + std::to_string(size)
                               + " bytes exceeds the limit of "
                               + std::to_string(max_frame_size)));
    bytes += size;
  }
  if (auto err = failure())
    return done(err);
  auto req = std::make_unique<request>();
  req->records = std::move(records);
  req->done = std::move(done);
  req->bytes = bytes;
  if (!inbox_.push(req))
    req->done(make_error(ec::unavailable, "log " + opts_.dir + " is closed"));
}

caf::expected<append_result>
segment_log::append_sync(std::vector<record_input> records) {
  std::optional<caf::expected<append_result>> result;
  completion done;
  append(std::move(records), [&](caf::expected<append_result> x) {
    result.emplace(std::move(x));
    done.post();
  });
  done.wait();
  return std::move(*result);
}

caf::error segment_log::roll(std::optional<uint64_t> epoch) {
  auto req = std::make_unique<request>();
  req->roll = true;
  req->roll_epoch = epoch;
  return run_solo(std::move(req));
}

caf::error segment_log::run_solo(request_ptr req) {
  caf::error result;
  completion done;
  req->roll_done = [&](caf::error err) {
    result = std::move(err);
    done.post();
  };
  if (!inbox_.push(req))
    return make_error(ec::unavailable, "log " + opts_.dir + " is closed");
  done.wait();
  return result;
}

caf::expected<std::vector<record>>
segment_log::read(uint64_t from, size_t max_records, size_t max_bytes) const {
  std::vector<record> out;
  // Snapshot, under the lock, the segments that can hold the wanted records
  // and how much of each is acknowledged; read them without the lock.
  struct part {
    segment_ptr seg;
    index_entry start;
    uint64_t size;
    uint64_t end_offset;
  };
  std::vector<part> parts;
  {
    std::lock_guard<std::mutex> guard{state_mutex_};
    if (closed_)
      return make_error(ec::unavailable, "log " + opts_.dir + " is closed");
    if (from < segments_.front()->base_offset())
      return make_error(ec::invalid_argument,
                        "offset " + std::to_string(from)
                          + " is below the log's start offset "
                          + std::to_string(segments_.front()->base_offset()));
    if (from >= end_offset_ || max_records == 0)
      return out;
    auto i = std::upper_bound(segments_.begin(), segments_.end(), from,
                              [](uint64_t x, const segment_ptr& s) {
                                return x < s->base_offset();
                              });
    --i;
    uint64_t records = 0;
    for (; i != segments_.end() && records < max_records; ++i) {
      auto& seg = *i;
      auto start = parts.empty() ? seg->index().lookup(from)
                                 : index_entry{seg->base_offset(), 0};
      parts.push_back({seg, start, seg->committed_size(), seg->end_offset()});
      records += seg->end_offset() - std::max(from, seg->base_offset());
    }
  }
  // Small reads should not pull a whole megabyte from disk.
  auto chunk = std::clamp<uint64_t>(
    std::min<uint64_t>(max_bytes, uint64_t{max_records} * 512), 16u << 10,
    frame_reader::default_chunk_size);
  out.reserve(std::min<size_t>(max_records, 65536));
  size_t bytes_left = max_bytes;
  for (auto& p : parts) {
    frame_reader reader{p.seg->data(), p.start.file_pos, p.size, chunk};
    auto expected = p.start.offset;
    frame_view view;
    while (expected < p.end_offset) {
      auto pos = reader.position();
      auto where = [&] {
        return " in segment " + p.seg->path() + " at byte "
               + std::to_string(pos) + " (log position "
               + std::to_string(p.seg->base_position() + pos) + ")";
      };
      if (reader.at_end())
        return make_error(ec::corrupt_data, "segment ends before offset "
                                              + std::to_string(expected)
                                              + where());
      auto status = reader.next(view);
      if (reader.io_error())
        return reader.io_error();
      if (status != frame_status::ok)
        return make_error(ec::corrupt_data, std::string{"corrupt record ("}
                                              + to_string(status) + ")"
                                              + where());
      if (view.offset != expected)
        return make_error(ec::corrupt_data,
                          "record with offset " + std::to_string(view.offset)
                            + " where " + std::to_string(expected)
                            + " was expected" + where());
      ++expected;
      if (view.offset < from)
        continue;
      if (!out.empty() && view.size > bytes_left)
        return out;
      bytes_left -= std::min(bytes_left, view.size);
      out.push_back(record{view.offset, view.epoch, view.timestamp_ms,
                           std::string{view.type}, std::string{view.key},
                           std::string{view.payload},
                           p.seg->base_position() + pos});
      if (out.size() >= max_records)
        return out;
    }
  }
  return out;
}

uint64_t segment_log::start_offset() const {
  std::lock_guard<std::mutex> guard{state_mutex_};
  return segments_.empty() ? 0 : segments_.front()->base_offset();
}

uint64_t segment_log::end_offset() const {
  std::lock_guard<std::mutex> guard{state_mutex_};
  return end_offset_;
}

uint64_t segment_log::end_position() const {
  std::lock_guard<std::mutex> guard{state_mutex_};
  return end_position_;
}

uint64_t segment_log::flushed_end_offset() const {
  std::lock_guard<std::mutex> guard{state_mutex_};
  return flushed_end_offset_;
}

uint64_t segment_log::flushed_end_position() const {
  std::lock_guard<std::mutex> guard{state_mutex_};
  return flushed_end_position_;
}

uint64_t segment_log::epoch() const {
  std::lock_guard<std::mutex> guard{state_mutex_};
  return epoch_;
}

std::vector<segment_info> segment_log::segments() const {
  std::lock_guard<std::mutex> guard{state_mutex_};
  std::vector<segment_info> result;
  for (auto& seg : segments_)
    result.push_back({seg->file_name(), seg->base_offset(), seg->epoch(),
                      seg->base_position(), seg->committed_size(),
                      seg->end_offset() - seg->base_offset()});
  return result;
}

writer_stats segment_log::stats() const {
  std::lock_guard<std::mutex> guard{state_mutex_};
  return stats_;
}

void segment_log::set_commit_listener(commit_listener listener) {
  std::lock_guard<std::mutex> guard{state_mutex_};
  listener_ = std::move(listener);
}

caf::error segment_log::failure() const {
  if (!failed_.load(std::memory_order_acquire))
    return caf::none;
  std::lock_guard<std::mutex> guard{state_mutex_};
  return failure_;
}

void segment_log::stop_writer(bool drain) {
  crashing_ = !drain;
  inbox_.close();
  if (writer_.joinable())
    writer_.join();
  stop_acker();
  // After a crash (or a failed open) requests may be left: fail them.
  inbox_.take_all(pending_);
  auto err = make_error(ec::unavailable, "log " + opts_.dir + " was closed");
  for (auto& req : pending_) {
    if (req->roll || req->cut)
      req->roll_done(err);
    else
      req->done(err);
  }
  pending_.clear();
}

caf::error segment_log::close() {
  std::lock_guard<std::mutex> close_guard{close_mutex_};
  {
    std::lock_guard<std::mutex> guard{state_mutex_};
    if (closed_)
      return caf::none;
  }
  stop_writer(true);
  caf::error err;
  if (active_ && !failure()) {
    err = sync_active();
    if (auto ierr = active_->close_index(); ierr && !err)
      err = std::move(ierr);
  }
  {
    // Readers that still hold a segment keep its files open until done.
    std::lock_guard<std::mutex> guard{state_mutex_};
    closed_ = true;
    segments_.clear();
  }
  active_.reset();
  lock_.release();
  if (!err)
    spdlog::debug("[log] closed {}", opts_.dir);
  return err;
}

void segment_log::crash_for_testing() {
  std::lock_guard<std::mutex> close_guard{close_mutex_};
  {
    std::lock_guard<std::mutex> guard{state_mutex_};
    if (closed_)
      return;
  }
  stop_writer(false);
  {
    std::lock_guard<std::mutex> guard{state_mutex_};
    closed_ = true;
    for (auto& seg : segments_)
      seg->close();
    segments_.clear();
  }
  active_.reset();
  lock_.release();
}

} // namespace almanac::storage
