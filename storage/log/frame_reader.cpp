#include "storage/log/frame_reader.hpp"

#include <algorithm>
#include <cstring>

namespace almanac::storage {

frame_reader::frame_reader(const file& f, uint64_t pos, uint64_t end,
                           size_t chunk_size)
  : file_(&f), pos_(pos), end_(end), chunk_size_(chunk_size), buf_start_(pos) {
}

void frame_reader::fill(size_t n) {
  auto wanted = std::min<uint64_t>(n, end_ - pos_);
  if (buffered() >= wanted)
    return;
  // Keep the unconsumed bytes, then read at least one chunk after them.
  auto keep = buffered();
  std::memmove(buf_.data(), buf_.data() + (pos_ - buf_start_), keep);
  buf_start_ = pos_;
  auto read_size = std::min<uint64_t>(std::max<uint64_t>(chunk_size_, wanted),
                                      end_ - pos_)
                   - keep;
  buf_.resize(keep + read_size);
  auto got = file_->read_at(buf_.data() + keep, read_size, pos_ + keep);
  if (!got) {
    io_error_ = std::move(got.error());
    buf_.resize(keep);
    return;
  }
  buf_.resize(keep + *got);
}

frame_status frame_reader::next(frame_view& out) {
  fill(record_header_size);
  auto status = decode_frame(buf_.data() + (pos_ - buf_start_), buffered(),
                             out);
  if (status == frame_status::incomplete && out.size > buffered()) {
    fill(out.size);
    status = decode_frame(buf_.data() + (pos_ - buf_start_), buffered(), out);
  }
  if (status == frame_status::ok)
    pos_ += out.size;
  return status;
}

} // namespace almanac::storage
