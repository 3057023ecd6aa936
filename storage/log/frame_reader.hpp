#pragma once

// Sequential reading of the frames of one segment file through a buffer, so
// that a scan or a read costs one pread per chunk rather than one per record.

#include "storage/log/file.hpp"
#include "storage/log/record_format.hpp"

#include <cstdint>
#include <string>

namespace almanac::storage {

/// Iterates over the frames in [pos, end) of one segment file.
class frame_reader {
public:
  /// Default size of one read.
  static constexpr size_t default_chunk_size = 1u << 20;

  frame_reader(const file& f, uint64_t pos, uint64_t end,
               size_t chunk_size = default_chunk_size);

  /// Returns whether every byte up to `end` has been consumed.
  bool at_end() const {
    return pos_ >= end_;
  }

  /// Returns the file position of the next frame (or of the frame the last
  /// call rejected).
  uint64_t position() const {
    return pos_;
  }

  /// Decodes the next frame into `out` and advances past it on
  /// frame_status::ok; otherwise stays at the rejected frame. Views in `out`
  /// stay valid until the next call. A frame that extends beyond `end` is
  /// frame_status::incomplete. Read failures are frame_status::incomplete
  /// too, with io_error() set.
  frame_status next(frame_view& out);

  /// Returns the read failure behind the last result, if any.
  const caf::error& io_error() const {
    return io_error_;
  }

private:
  /// Makes at least `n` bytes from pos_ available (fewer only at `end`).
  void fill(size_t n);

  size_t buffered() const {
    return static_cast<size_t>(buf_start_ + buf_.size() - pos_);
  }

  const file* file_;
  uint64_t pos_;
  uint64_t end_;
  size_t chunk_size_;
  std::string buf_;
  /// File position of buf_[0].
  uint64_t buf_start_;
  caf::error io_error_;
};

} // namespace almanac::storage
