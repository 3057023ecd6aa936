#pragma once

// One segment: a file of record frames named by base offset and epoch
// ("00000000000000000000-0001.log"), with its sparse index beside it
// ("...-0001.idx").

#include "storage/log/file.hpp"
#include "storage/log/offset_index.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace almanac::storage {

/// Returns the file name of the segment with this base offset and epoch.
std::string segment_file_name(uint64_t base_offset, uint64_t epoch);

/// Returns the index file name beside the segment file `segment_name`.
std::string index_file_name(const std::string& segment_name);

/// Base offset and epoch parsed from a segment file name.
struct segment_name {
  uint64_t base_offset = 0;
  uint64_t epoch = 0;
};

/// Parses a segment file name; nullopt if `name` is not one.
std::optional<segment_name> parse_segment_file_name(const std::string& name);

/// A segment file, its index and its sizes. The log guards the mutable parts
/// (index, sizes) with its state mutex; the writer thread alone appends.
class segment {
public:
  /// Creates a new empty segment file and its index file, and syncs `dir`.
  static caf::expected<std::shared_ptr<segment>>
  create(const std::string& dir, uint64_t base_offset, uint64_t epoch,
         uint64_t base_position);

  /// Opens an existing segment file; writable for the last segment.
  static caf::expected<std::shared_ptr<segment>>
  open(const std::string& dir, segment_name name, uint64_t base_position,
       bool writable);

  uint64_t base_offset() const {
    return base_offset_;
  }

  uint64_t epoch() const {
    return epoch_;
  }

  /// Position of the segment's first byte in the whole log.
  uint64_t base_position() const {
    return base_position_;
  }

  const std::string& path() const {
    return data_.path();
  }

  /// File name without the directory.
  std::string file_name() const {
    return segment_file_name(base_offset_, epoch_);
  }

  const std::string& index_path() const {
    return index_path_;
  }

  const file& data() const {
    return data_;
  }

  file& data() {
    return data_;
  }

  offset_index& index() {
    return index_;
  }

  const offset_index& index() const {
    return index_;
  }

  /// Bytes of acknowledged records (what readers may see).
  uint64_t committed_size() const {
    return committed_size_;
  }

  void committed_size(uint64_t x) {
    committed_size_ = x;
  }

  /// Offset after the last acknowledged record of this segment.
  uint64_t end_offset() const {
    return end_offset_;
  }

  void end_offset(uint64_t x) {
    end_offset_ = x;
  }

  /// Reads and parses the index file (empty result if missing).
  index_parse_result load_index() const;

  /// Rewrites the index file atomically from the in-memory index.
  caf::error write_index();

  /// Opens the index file for appending entries (active segment only).
  caf::error open_index_for_append();

  /// Appends entries to the index file (no sync: the index is a cache).
  caf::error append_index(const std::string& serialized_entries);

  /// Syncs and closes the appendable index file, if open.
  caf::error close_index();

  /// Closes both files without syncing.
  void close();

private:
  segment(std::string dir, uint64_t base_offset, uint64_t epoch,
          uint64_t base_position, file data);

  std::string dir_;
  uint64_t base_offset_;
  uint64_t epoch_;
  uint64_t base_position_;
  std::string index_path_;
  file data_;
  file index_file_;
  offset_index index_;
  uint64_t committed_size_ = 0;
  uint64_t end_offset_ = 0;
};

using segment_ptr = std::shared_ptr<segment>;

} // namespace almanac::storage
