#include "storage/log/record_format.hpp"

#include "storage/log/crc32c.hpp"
#include "storage/log/little_endian.hpp"

#include <cstring>

namespace almanac::storage {

void encode_frame(std::string& out, uint64_t offset, uint64_t epoch,
                  int64_t timestamp_ms, std::string_view type,
                  std::string_view key, std::string_view payload) {
  auto length = frame_size(type.size(), key.size(), payload.size());
  auto start = out.size();
  out.resize(start + length);
  char* p = out.data() + start;
  store_le<uint32_t>(p, record_magic);
  store_le<uint16_t>(p + 8, record_format_version);
  store_le<uint16_t>(p + 10, static_cast<uint16_t>(type.size()));
  store_le<uint32_t>(p + 12, static_cast<uint32_t>(length));
  store_le<uint64_t>(p + 16, offset);
  store_le<uint64_t>(p + 24, epoch);
  store_le<int64_t>(p + 32, timestamp_ms);
  store_le<uint32_t>(p + 40, static_cast<uint32_t>(key.size()));
  store_le<uint32_t>(p + 44, static_cast<uint32_t>(payload.size()));
  char* body = p + record_header_size;
  std::memcpy(body, type.data(), type.size());
  std::memcpy(body + type.size(), key.data(), key.size());
  std::memcpy(body + type.size() + key.size(), payload.data(), payload.size());
  store_le<uint32_t>(p + 4, crc32c(p + 8, length - 8));
}

const char* to_string(frame_status x) {
  switch (x) {
    case frame_status::ok:
      return "ok";
    case frame_status::incomplete:
      return "incomplete frame";
    case frame_status::bad_magic:
      return "bad magic";
    case frame_status::bad_length:
      return "bad length";
    case frame_status::bad_crc:
      return "checksum mismatch";
    case frame_status::bad_version:
      return "unknown format version";
  }
  return "?";
}

frame_status decode_frame(const char* data, size_t available,
                          frame_view& out) {
  if (available < 4) {
    // A frame cut inside its magic is incomplete only if the bytes we have
    // match the start of the magic.
    uint32_t magic = record_magic;
    out.size = record_header_size;
    return std::memcmp(data, &magic, available) == 0 ? frame_status::incomplete
                                                     : frame_status::bad_magic;
  }
  if (load_le<uint32_t>(data) != record_magic)
    return frame_status::bad_magic;
  if (available < record_header_size) {
    out.size = record_header_size;
    return frame_status::incomplete;
  }
  auto length = size_t{load_le<uint32_t>(data + 12)};
  auto type_len = size_t{load_le<uint16_t>(data + 10)};
  auto key_len = size_t{load_le<uint32_t>(data + 40)};
  auto payload_len = size_t{load_le<uint32_t>(data + 44)};
  if (length < record_header_size || length > max_frame_size
      || length != frame_size(type_len, key_len, payload_len))
    return frame_status::bad_length;
  out.size = length;
  if (available < length)
    return frame_status::incomplete;
  if (crc32c(data + 8, length - 8) != load_le<uint32_t>(data + 4))
    return frame_status::bad_crc;
  if (load_le<uint16_t>(data + 8) != record_format_version)
    return frame_status::bad_version;
  out.offset = load_le<uint64_t>(data + 16);
  out.epoch = load_le<uint64_t>(data + 24);
  out.timestamp_ms = load_le<int64_t>(data + 32);
  const char* body = data + record_header_size;
  out.type = std::string_view{body, type_len};
  out.key = std::string_view{body + type_len, key_len};
  out.payload = std::string_view{body + type_len + key_len, payload_len};
  return frame_status::ok;
}

} // namespace almanac::storage
