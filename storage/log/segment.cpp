#include "storage/log/segment.hpp"

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <fcntl.h>

namespace almanac::storage {

std::string segment_file_name(uint64_t base_offset, uint64_t epoch) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%020" PRIu64 "-%04" PRIu64 ".log",
                base_offset, epoch);
  return buf;
}

std::string index_file_name(const std::string& segment_name) {
  return segment_name.substr(0, segment_name.size() - 4) + ".idx";
}

std::optional<segment_name> parse_segment_file_name(const std::string& name) {
  // <20 digits>-<at least 4 digits>.log
  if (name.size() < 29 || name.compare(name.size() - 4, 4, ".log") != 0
      || name[20] != '-')
    return std::nullopt;
  auto digits = [&](size_t from, size_t to, uint64_t& out) {
    if (to - from > 20)
      return false;
    out = 0;
    for (auto i = from; i < to; ++i) {
      if (name[i] < '0' || name[i] > '9')
        return false;
      auto next = out * 10 + static_cast<uint64_t>(name[i] - '0');
      if (next < out)
        return false;
      out = next;
    }
    return true;
  };
  segment_name result;
  if (!digits(0, 20, result.base_offset)
      || !digits(21, name.size() - 4, result.epoch))
    return std::nullopt;
  // Only the canonical spelling, so that one segment has one name.
  if (segment_file_name(result.base_offset, result.epoch) != name)
    return std::nullopt;
  return result;
}

segment::segment(std::string dir, uint64_t base_offset, uint64_t epoch,
                 uint64_t base_position, file data)
  : dir_(std::move(dir)),
    base_offset_(base_offset),
    epoch_(epoch),
    base_position_(base_position),
    index_path_(dir_ + "/"
                + index_file_name(segment_file_name(base_offset, epoch))),
    data_(std::move(data)),
    index_(base_offset, epoch),
    end_offset_(base_offset) {
}

caf::expected<segment_ptr> segment::create(const std::string& dir,
                                           uint64_t base_offset,
                                           uint64_t epoch,
                                           uint64_t base_position) {
  auto path = dir + "/" + segment_file_name(base_offset, epoch);
  auto f = file::open(path, O_RDWR | O_CREAT | O_EXCL);
  if (!f)
    return std::move(f.error());
  segment_ptr result{new segment(dir, base_offset, epoch, base_position,
                                 std::move(*f))};
  if (auto err = result->write_index())
    return err;
  return result;
}

caf::expected<segment_ptr> segment::open(const std::string& dir,
                                         segment_name name,
                                         uint64_t base_position,
                                         bool writable) {
  auto path = dir + "/" + segment_file_name(name.base_offset, name.epoch);
  auto f = file::open(path, writable ? O_RDWR : O_RDONLY);
  if (!f)
    return std::move(f.error());
  auto size = f->size();
  if (!size)
    return std::move(size.error());
  segment_ptr result{new segment(dir, name.base_offset, name.epoch,
                                 base_position, std::move(*f))};
  result->committed_size_ = *size;
  return result;
}

index_parse_result segment::load_index() const {
  auto data = read_whole_file(index_path_);
  if (!data)
    return {};
  return offset_index::parse(*data, base_offset_, epoch_, committed_size_);
}

caf::error segment::write_index() {
  return write_file_atomically(dir_, index_path_, index_.serialize());
}

caf::error segment::open_index_for_append() {
  auto f = file::open(index_path_, O_WRONLY | O_APPEND);
  if (!f)
    return std::move(f.error());
  index_file_ = std::move(*f);
  return caf::none;
}

caf::error segment::append_index(const std::string& serialized_entries) {
  if (!index_file_.is_open())
    return caf::none;
  return index_file_.append(serialized_entries.data(),
                            serialized_entries.size());
}

caf::error segment::close_index() {
  if (!index_file_.is_open())
    return caf::none;
  auto err = index_file_.sync();
  index_file_.close();
  return err;
}

void segment::close() {
  index_file_.close();
  data_.close();
}

} // namespace almanac::storage
