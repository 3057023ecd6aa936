// segment_log: opening and recovery.

#include "storage/log/segment_log.hpp"

#include "messages/error.hpp"
#include "storage/log/frame_reader.hpp"
#include "storage/log/segment_scan.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>

namespace fs = std::filesystem;

namespace almanac::storage {

namespace {

caf::error validate(const log_options& opts) {
  auto bad = [](std::string what) {
    return make_error(ec::invalid_argument, "log options: " + what);
  };
  if (opts.dir.empty())
    return bad("no directory");
  if (opts.segment_bytes < 1 || opts.segment_bytes > (64ull << 30))
    return bad("segment_bytes must be between 1 and 64 GiB");
  if (opts.index_interval_bytes < 1)
    return bad("index_interval_bytes must be positive");
  if (opts.max_batch_bytes < 1)
    return bad("max_batch_bytes must be positive");
  if (opts.fsync == fsync_policy::interval && opts.fsync_interval.count() < 1)
    return bad("fsync_interval must be positive");
  return caf::none;
}

/// Returns whether `entry` names the frame that starts at its position.
bool entry_is_valid(const segment& seg, index_entry entry, uint64_t size) {
  frame_reader reader{seg.data(), entry.file_pos, size, 64u << 10};
  frame_view view;
  return reader.next(view) == frame_status::ok && view.offset == entry.offset
         && view.epoch == seg.epoch();
}

} // namespace

caf::expected<std::unique_ptr<segment_log>>
segment_log::open(log_options opts) {
  auto started = std::chrono::steady_clock::now();
  if (auto err = validate(opts))
    return err;
  std::error_code fs_err;
  if (!fs::is_directory(opts.dir, fs_err)) {
    if (!opts.create)
      return make_error(ec::not_found, "no log directory " + opts.dir);
    fs::create_directories(opts.dir, fs_err);
    if (fs_err)
      return make_error(ec::io_error, "cannot create log directory "
                                        + opts.dir + ": " + fs_err.message());
  }
  std::unique_ptr<segment_log> log{new segment_log(std::move(opts))};
  auto lock = dir_lock::acquire(log->opts_.dir);
  if (!lock)
    return std::move(lock.error());
  log->lock_ = std::move(*lock);
  if (auto err = log->recover())
    return err;
  auto& r = log->report_;
  r.duration = std::chrono::duration_cast<std::chrono::microseconds>(
    std::chrono::steady_clock::now() - started);
  spdlog::info("[log] opened {}: {} segments, offsets [{}, {}), {} bytes, "
               "{} records scanned, {} ms",
               log->opts_.dir, r.segments, r.start_offset, r.end_offset,
               log->end_position_, r.records_scanned,
               r.duration.count() / 1000.0);
  log->last_sync_ = std::chrono::steady_clock::now();
  log->acker_ = std::thread{[l = log.get()] { l->run_acker(); }};
  log->writer_ = std::thread{[l = log.get()] { l->run_writer(); }};
  return log;
}

caf::error segment_log::recover() {
  const auto& dir = opts_.dir;
  std::vector<segment_name> names;
  std::error_code fs_err;
  for (auto& entry : fs::directory_iterator{dir, fs_err}) {
    auto name = entry.path().filename().string();
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".tmp") == 0) {
      fs::remove(entry.path(), fs_err); // an interrupted index rewrite
      continue;
    }
    if (auto parsed = parse_segment_file_name(name))
      names.push_back(*parsed);
  }
  if (fs_err)
    return make_error(ec::io_error,
                      "cannot list log directory " + dir + ": "
                        + fs_err.message());
  std::sort(names.begin(), names.end(), [](auto& x, auto& y) {
    return x.base_offset < y.base_offset;
  });
  if (names.empty()) {
    if (!opts_.create)
      return make_error(ec::not_found, "no log in directory " + dir);
    auto seg = segment::create(dir, 0, opts_.epoch.value_or(1), 0);
    if (!seg)
      return std::move(seg.error());
    names.push_back({0, (*seg)->epoch()});
    (*seg)->close();
  }
  for (size_t i = 1; i < names.size(); ++i)
    if (names[i].base_offset <= names[i - 1].base_offset
        || names[i].epoch < names[i - 1].epoch)
      return make_error(ec::corrupt_data,
                        "segments " + segment_file_name(names[i - 1].base_offset,
                                                        names[i - 1].epoch)
                          + " and "
                          + segment_file_name(names[i].base_offset,
                                              names[i].epoch)
                          + " in " + dir + " overlap or go back in epoch");
  uint64_t position = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    bool last = i + 1 == names.size();
    auto seg = segment::open(dir, names[i], position, last);
    if (!seg)
      return std::move(seg.error());
    auto err = last ? recover_last_segment(**seg)
                    : load_sealed_segment(**seg, names[i + 1].base_offset);
    if (err)
      return err;
    position += (*seg)->committed_size();
    segments_.push_back(std::move(*seg));
  }
  active_ = segments_.back();
  epoch_ = active_->epoch();
  written_offset_ = active_->end_offset();
  written_size_ = active_->committed_size();
  end_offset_ = flushed_end_offset_ = written_offset_;
  end_position_ = flushed_end_position_ = position;
  if (auto err = recover_epochs())
    return err;
  if (auto err = apply_epoch_option())
    return err;
  if (auto err = active_->open_index_for_append())
    return err;
  report_.segments = segments_.size();
  report_.start_offset = segments_.front()->base_offset();
  report_.end_offset = end_offset_;
  report_.records_recovered = end_offset_ - report_.start_offset;
  return caf::none;
}

caf::error segment_log::load_sealed_segment(segment& seg, uint64_t next_base) {
  seg.end_offset(next_base);
  auto parsed = seg.load_index();
  if (parsed.complete) {
    seg.index().assign(std::move(parsed.entries));
    return caf::none;
  }
  spdlog::warn("[log] index {} is missing or damaged; rebuilding it",
               seg.index_path());
  auto scan = scan_segment(seg, {seg.base_offset(), 0}, 0,
                           seg.committed_size(), opts_.index_interval_bytes,
                           false);
  if (!scan)
    return std::move(scan.error());
  if (scan->end_offset != next_base)
    return make_error(ec::corrupt_data,
                      "segment " + seg.path() + " ends at offset "
                        + std::to_string(scan->end_offset)
                        + " but the next segment starts at offset "
                        + std::to_string(next_base));
  ++report_.indexes_rebuilt;
  report_.bytes_scanned += scan->bytes;
  seg.index().assign(std::move(scan->new_entries));
  return seg.write_index();
}

caf::error segment_log::recover_last_segment(segment& seg) {
  auto size = seg.committed_size();
  auto parsed = seg.load_index();
  auto entries = std::move(parsed.entries);
  bool rewrite = !parsed.complete;
  if (!parsed.header_valid) {
    spdlog::warn("[log] index {} is missing or damaged; rebuilding it",
                 seg.index_path());
    ++report_.indexes_rebuilt;
  }
  // An entry that does not name the frame at its position is stale (its
  // record was lost with a torn tail): drop it and start from the one before.
  while (!entries.empty() && !entry_is_valid(seg, entries.back(), size)) {
    entries.pop_back();
    rewrite = true;
  }
  auto start = entries.empty() ? index_entry{seg.base_offset(), 0}
                               : entries.back();
  auto scan = scan_segment(seg, start, start.file_pos, size,
                           opts_.index_interval_bytes, true);
  if (!scan)
    return std::move(scan.error());
  report_.records_scanned += scan->records;
  report_.bytes_scanned += scan->bytes;
  if (scan->valid_size < size) {
    auto cut = size - scan->valid_size;
    spdlog::warn("[log] truncating a torn tail of {} bytes from {} at byte {} "
                 "(log position {}); the log ends at offset {}",
                 cut, seg.path(), scan->valid_size,
                 seg.base_position() + scan->valid_size, scan->end_offset);
    if (auto err = seg.data().truncate(scan->valid_size))
      return err;
    if (auto err = seg.data().sync())
      return err;
    report_.bytes_truncated = cut;
    report_.truncated_at = seg.base_position() + scan->valid_size;
  }
  if (!scan->new_entries.empty())
    rewrite = true;
  entries.insert(entries.end(), scan->new_entries.begin(),
                 scan->new_entries.end());
  seg.index().assign(std::move(entries));
  seg.committed_size(scan->valid_size);
  seg.end_offset(scan->end_offset);
  if (rewrite)
    return seg.write_index();
  return caf::none;
}

caf::error segment_log::apply_epoch_option() {
  if (!opts_.epoch || *opts_.epoch == epoch_)
    return caf::none;
  if (*opts_.epoch < epoch_)
    return make_error(ec::invalid_argument,
                      "epoch " + std::to_string(*opts_.epoch)
                        + " is below the log's epoch "
                        + std::to_string(epoch_) + " in " + opts_.dir);
  return roll_segment(*opts_.epoch);
}

} // namespace almanac::storage
