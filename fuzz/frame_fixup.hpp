#pragma once

// fix_frame_crcs(bytes): makes the checksum right of every frame that starts
// where the previous one ended and whose length field fits the bytes, so
// that mutations get past the CRC to the checks behind it (version, field
// lengths, offsets, epochs). Used by the record and recovery fuzzers.

#include "storage/log/crc32c.hpp"
#include "storage/log/little_endian.hpp"
#include "storage/log/record_format.hpp"

#include <string>

inline void fix_frame_crcs(std::string& bytes) {
  using namespace almanac::storage;
  size_t pos = 0;
  while (pos + record_header_size <= bytes.size()) {
    char* p = bytes.data() + pos;
    if (load_le<uint32_t>(p) != record_magic)
      return;
    auto length = size_t{load_le<uint32_t>(p + 12)};
    if (length < record_header_size || length > bytes.size() - pos)
      return;
    store_le<uint32_t>(p + 4, crc32c(p + 8, length - 8));
    pos += length;
  }
}
