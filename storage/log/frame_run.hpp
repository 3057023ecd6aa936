#pragma once

// A run of frames of one segment, byte-exact as a log has them on disk: what
// a primary ships to its standby, so that the standby's segments, offsets
// and byte positions equal the primary's (record_format.hpp for a frame).

#include <caf/error.hpp>

#include <cstdint>
#include <string>

namespace almanac::storage {

/// Frames back to back, all of one segment.
struct frame_run {
  /// Base offset and epoch of the segment the frames belong to.
  uint64_t segment_base = 0;
  uint64_t segment_epoch = 0;
  /// Offset of the first frame and number of frames.
  uint64_t first_offset = 0;
  uint64_t count = 0;
  /// Log position of the first frame (all segments as one file).
  uint64_t first_position = 0;
  /// The frames.
  std::string bytes;
};

/// Checks every frame of `run`: a valid checksum and version, offsets dense
/// from first_offset, the segment's epoch, `count` frames filling `bytes`
/// exactly. ec::corrupt_data naming the frame and what is wrong.
caf::error check_frame_run(const frame_run& run);

} // namespace almanac::storage
