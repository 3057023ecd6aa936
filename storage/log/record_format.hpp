#pragma once

// The on-disk frame of one record. All integers are little-endian.
//
//   0  u32 magic        record_magic
//   4  u32 crc          CRC32C of bytes [8, length)
//   8  u16 version      record_format_version
//  10  u16 type_len
//  12  u32 length       whole frame, header included
//  16  u64 offset
//  24  u64 epoch
//  32  i64 timestamp_ms
//  40  u32 key_len
//  44  u32 payload_len
//  48  type bytes, key bytes, payload bytes
//
// The CRC covers everything after itself, so a flipped bit in the version,
// length or any field is caught. Frames are packed back to back in a segment
// with no padding and no segment header.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace almanac::storage {

/// First four bytes of every frame (bytes 47 4C 52 A9 on disk: "GLR" plus a
/// non-ASCII byte, so that JSON text rarely contains it).
constexpr uint32_t record_magic = 0xA9524C47u;

/// The frame layout described above.
constexpr uint16_t record_format_version = 1;

/// Size of the fixed part of a frame.
constexpr size_t record_header_size = 48;

/// Largest frame accepted on append and believed on read.
constexpr size_t max_frame_size = 64u << 20;

/// Longest event type name.
constexpr size_t max_type_size = 255;

/// Returns the frame size of a record with these field sizes.
constexpr size_t frame_size(size_t type_size, size_t key_size,
                            size_t payload_size) {
  return record_header_size + type_size + key_size + payload_size;
}

/// Appends the frame of one record to `out`.
void encode_frame(std::string& out, uint64_t offset, uint64_t epoch,
                  int64_t timestamp_ms, std::string_view type,
                  std::string_view key, std::string_view payload);

/// The outcome of looking at bytes that should start a frame.
enum class frame_status {
  /// A complete frame with a valid checksum and a known version.
  ok,
  /// The bytes end before the frame does (`length` bytes would be needed).
  incomplete,
  /// The first four bytes are not record_magic.
  bad_magic,
  /// The length field is impossible.
  bad_length,
  /// The checksum does not match.
  bad_crc,
  /// Checksum fine, but a format version this build does not know.
  bad_version,
};

/// Returns a short description of `x` for error messages.
const char* to_string(frame_status x);

/// A decoded frame; the views point into the buffer that was decoded.
struct frame_view {
  uint64_t offset = 0;
  uint64_t epoch = 0;
  int64_t timestamp_ms = 0;
  std::string_view type;
  std::string_view key;
  std::string_view payload;
  /// Size of the whole frame in bytes.
  size_t size = 0;
};

/// Decodes the frame at `data` (`available` bytes readable). On `incomplete`
/// and `ok`, `out.size` holds the frame length; on `ok`, all of `out`.
frame_status decode_frame(const char* data, size_t available,
                          frame_view& out);

} // namespace almanac::storage
