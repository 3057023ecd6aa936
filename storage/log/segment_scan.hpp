#pragma once

// Checking the frames of a segment on open, and the rule that decides
// between a torn tail (cut away) and corruption (a hard error).
//
// THE TAIL RULE
//
// A write that a crash interrupts leaves the end of the last segment in any
// state: a frame cut short, a frame whose bytes are partly zeros or stale,
// or zero-filled blocks past the last frame. No acknowledged record is ever
// in that region under fsync=always, because a batch is acknowledged only
// after its fdatasync. Everything else on disk was written whole and must
// read back whole. So, scanning a segment frame by frame:
//
//   * A bad frame (wrong magic, impossible length, checksum mismatch, cut
//     short by the end of the file) in the LAST segment, with no valid frame
//     anywhere after it in that file, starts a torn tail: the file is
//     truncated to the bad frame's first byte, reported in open_report and
//     logged as a warning. Appends continue at that point with the next
//     dense offset.
//   * A bad frame followed by a valid frame (magic, sane length, matching
//     CRC) later in the same file is corruption in the middle:
//     ec::corrupt_data naming the segment file and the byte position. The
//     log does not open; nothing is skipped or cut.
//   * A bad frame in any segment other than the last is corruption, tail or
//     not: that segment was synced whole before the next one was created.
//   * A frame whose CRC matches but whose offset is not the next dense
//     offset, or whose epoch differs from the segment's, was written that
//     way: corruption (a bug), never a torn write.
//   * A frame whose CRC matches but has an unknown format version:
//     ec::unsupported_version.
//
// Worked examples (r = valid frame, X = bad frame, | = end of file):
//
//   last segment  [r0][r1][r2 cut short|          -> truncate at r2, end 2
//   last segment  [r0][r1][X with bad crc]|       -> truncate at X, end 2
//   last segment  [r0][r1][00 00 00 ... 00]|      -> truncate after r1
//   last segment  [r0][X][r2]|                    -> corrupt_data at X
//   last segment  [r0][X][garbage][r7]|           -> corrupt_data at X
//   last segment  [X]|                            -> truncate to 0 bytes
//   earlier seg.  [r0][r1][X]|                    -> corrupt_data at X
//   last segment  [r0][r1 with offset 5]|         -> corrupt_data at r1
//
// One caveat follows from the rule: were a file system to persist a later
// block of an unsynced write but not an earlier one, the unacknowledged
// records behind the gap would read as corruption, and the log would refuse
// to open rather than guess. An operator can then cut the file by hand.

#include "storage/log/offset_index.hpp"
#include "storage/log/segment.hpp"

#include <caf/expected.hpp>

#include <cstdint>
#include <optional>
#include <vector>

namespace almanac::storage {

/// What a scan of a segment from an index point found.
struct scan_result {
  /// Offset after the last valid record.
  uint64_t end_offset = 0;
  /// File position after the last valid record.
  uint64_t valid_size = 0;
  /// Records read.
  uint64_t records = 0;
  /// Bytes read (up to valid_size).
  uint64_t bytes = 0;
  /// Index entries for records past the starting point.
  std::vector<index_entry> new_entries;
};

/// Scans the frames of `seg` in [start.file_pos, file_size), expecting dense
/// offsets from start.offset. Adds an index entry whenever a record starts
/// `index_interval` or more bytes after the previous entry (`last_indexed`
/// is that entry's position, 0 at the segment start). Applies the tail rule
/// above: for the last segment a torn tail ends the scan with
/// valid_size < file_size; every other bad frame is an error.
caf::expected<scan_result>
scan_segment(const segment& seg, index_entry start, uint64_t last_indexed,
             uint64_t file_size, uint64_t index_interval, bool last_segment);

/// Returns the position of the first valid frame starting in (from, end) of
/// `f`, if any.
caf::expected<std::optional<uint64_t>>
find_valid_frame(const file& f, uint64_t from, uint64_t end);

} // namespace almanac::storage
