#pragma once

// The sparse offset index of one segment: about one entry per
// `index_interval` bytes of records, mapping an offset to the byte position
// of its frame in the segment file. It is only a cache: when the `.idx` file
// is missing or damaged, the log rebuilds it by scanning the segment.
//
// File layout (little-endian):
//
//   header, 32 bytes:
//     0  u32 magic        index_magic
//     4  u16 version      index_format_version
//     6  u16 entry_size   16
//     8  u64 base_offset  must match the segment file name
//    16  u64 epoch        must match the segment file name
//    24  u32 reserved     0
//    28  u32 crc          CRC32C of bytes [0, 28)
//   then entries, 16 bytes each:
//     0  u32 relative offset (offset - base_offset)
//     4  u32 crc          CRC32C of bytes [0, 4) and [8, 16)
//     8  u64 file position of the frame
//
// Entries are appended as the segment grows; an entry cut short by a crash
// or failing its checksum ends the usable prefix.

#include <caf/expected.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace almanac::storage {

/// First four bytes of an index file ("AIDX").
constexpr uint32_t index_magic = 0x58444941u;

/// The index layout described above.
constexpr uint16_t index_format_version = 1;

constexpr size_t index_header_size = 32;
constexpr size_t index_entry_size = 16;

/// One index point.
struct index_entry {
  /// Absolute offset of the record.
  uint64_t offset = 0;
  /// Byte position of its frame in the segment file.
  uint64_t file_pos = 0;
};

/// The result of parsing an index file.
struct index_parse_result {
  /// Entries of the valid prefix.
  std::vector<index_entry> entries;
  /// True if the header was valid (and matched the segment).
  bool header_valid = false;
  /// True if the header and every entry were valid and nothing trailed.
  bool complete = false;
};

/// In-memory sparse index of one segment (not thread-safe; the log guards it).
class offset_index {
public:
  offset_index(uint64_t base_offset, uint64_t epoch);

  /// Adds an entry; offsets and positions must grow.
  void add(index_entry entry);

  /// Returns the entry with the greatest offset not above `offset`, or the
  /// segment start {base_offset, 0}.
  index_entry lookup(uint64_t offset) const;

  /// Drops every entry whose offset is `offset` or greater.
  void truncate(uint64_t offset);

  /// Replaces all entries.
  void assign(std::vector<index_entry> entries);

  const std::vector<index_entry>& entries() const {
    return entries_;
  }

  uint64_t base_offset() const {
    return base_offset_;
  }

  /// Returns the header bytes of the index file.
  std::string serialize_header() const;

  /// Appends the bytes of one entry to `out`.
  void serialize_entry(index_entry entry, std::string& out) const;

  /// Returns the whole index file.
  std::string serialize() const;

  /// Parses an index file for the segment with this base offset and epoch.
  /// Entries must grow strictly and point below `segment_size`; the first
  /// entry that does not, or fails its checksum, ends the valid prefix.
  static index_parse_result parse(std::string_view data, uint64_t base_offset,
                                  uint64_t epoch, uint64_t segment_size);

private:
  uint64_t base_offset_;
  uint64_t epoch_;
  std::vector<index_entry> entries_;
};

} // namespace almanac::storage
