#include "storage/log/segment_scan.hpp"

#include "messages/error.hpp"
#include "storage/log/frame_reader.hpp"

#include <cstring>
#include <string>

namespace almanac::storage {

namespace {

std::string where(const segment& seg, uint64_t file_pos) {
  return "segment " + seg.path() + " at byte " + std::to_string(file_pos)
         + " (log position " + std::to_string(seg.base_position() + file_pos)
         + ")";
}

} // namespace

caf::expected<std::optional<uint64_t>>
find_valid_frame(const file& f, uint64_t from, uint64_t end) {
  constexpr size_t chunk = 1u << 20;
  const uint32_t magic = record_magic;
  std::string buf;
  // Each chunk overlaps the previous one by 3 bytes so that no magic that
  // straddles two chunks is missed.
  for (auto pos = from + 1; pos + 4 <= end; pos += chunk - 3) {
    buf.resize(std::min<uint64_t>(chunk, end - pos));
    auto got = f.read_at(buf.data(), buf.size(), pos);
    if (!got)
      return std::move(got.error());
    buf.resize(*got);
    for (size_t i = 0; i + 4 <= buf.size(); ++i) {
      if (std::memcmp(buf.data() + i, &magic, 4) != 0)
        continue;
      frame_reader reader{f, pos + i, end, 64u << 10};
      frame_view view;
      if (reader.next(view) == frame_status::ok)
        return std::optional<uint64_t>{pos + i};
      if (reader.io_error())
        return reader.io_error();
    }
    if (buf.size() < chunk)
      break;
  }
  return std::optional<uint64_t>{};
}

caf::expected<scan_result>
scan_segment(const segment& seg, index_entry start, uint64_t last_indexed,
             uint64_t file_size, uint64_t index_interval, bool last_segment) {
  scan_result result;
  result.end_offset = start.offset;
  result.valid_size = start.file_pos;
  frame_reader reader{seg.data(), start.file_pos, file_size};
  frame_view view;
  while (!reader.at_end()) {
    auto pos = reader.position();
    auto status = reader.next(view);
    if (reader.io_error())
      return reader.io_error();
    if (status == frame_status::bad_version)
      return make_error(ec::unsupported_version,
                        "record format version unknown to this build in "
                          + where(seg, pos));
    if (status != frame_status::ok) {
      if (!last_segment)
        return make_error(ec::corrupt_data,
                          std::string{"corrupt record ("} + to_string(status)
                            + ") in " + where(seg, pos)
                            + ", a segment that is not the last");
      auto later = find_valid_frame(seg.data(), pos, file_size);
      if (!later)
        return std::move(later.error());
      if (*later)
        return make_error(ec::corrupt_data,
                          std::string{"corrupt record ("} + to_string(status)
                            + ") in " + where(seg, pos)
                            + ", followed by a valid record at byte "
                            + std::to_string(**later));
      // A torn tail: the caller truncates at result.valid_size.
      break;
    }
    if (view.offset != result.end_offset)
      return make_error(ec::corrupt_data,
                        "record with offset " + std::to_string(view.offset)
                          + " where offset "
                          + std::to_string(result.end_offset)
                          + " was expected in " + where(seg, pos));
    if (view.epoch != seg.epoch())
      return make_error(ec::corrupt_data,
                        "record with epoch " + std::to_string(view.epoch)
                          + " in a segment of epoch "
                          + std::to_string(seg.epoch()) + ", "
                          + where(seg, pos));
    if (pos - last_indexed >= index_interval) {
      result.new_entries.push_back({view.offset, pos});
      last_indexed = pos;
    }
    ++result.records;
    ++result.end_offset;
    result.valid_size = reader.position();
  }
  result.bytes = result.valid_size - start.file_pos;
  return result;
}

} // namespace almanac::storage
