#include "storage/log/crc32c.hpp"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#  include <nmmintrin.h>
#endif

namespace almanac::storage {

namespace {

/// Reflected Castagnoli polynomial.
constexpr uint32_t polynomial = 0x82F63B78u;

std::array<uint32_t, 256> make_table() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t crc = i;
    for (int bit = 0; bit < 8; ++bit)
      crc = (crc & 1u) ? (crc >> 1) ^ polynomial : crc >> 1;
    table[i] = crc;
  }
  return table;
}

const std::array<uint32_t, 256> crc_table = make_table();

bool detect_hardware() {
#if defined(__x86_64__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2");
#else
  return false;
#endif
}

const bool has_hardware = detect_hardware();

} // namespace

uint32_t crc32c_software(const void* data, size_t size, uint32_t crc) {
  auto p = static_cast<const unsigned char*>(data);
  crc = ~crc;
  for (size_t i = 0; i < size; ++i)
    crc = crc_table[(crc ^ p[i]) & 0xFFu] ^ (crc >> 8);
  return ~crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t
crc32c_hardware(const void* data, size_t size, uint32_t crc) {
  auto p = static_cast<const unsigned char*>(data);
  uint64_t c = ~crc;
  for (; size >= 8; size -= 8, p += 8) {
    uint64_t word;
    std::memcpy(&word, p, sizeof(word));
    c = _mm_crc32_u64(c, word);
  }
  auto c32 = static_cast<uint32_t>(c);
  for (; size > 0; --size, ++p)
    c32 = _mm_crc32_u8(c32, *p);
  return ~c32;
}
#else
uint32_t crc32c_hardware(const void* data, size_t size, uint32_t crc) {
  return crc32c_software(data, size, crc);
}
#endif

bool crc32c_hardware_available() {
  return has_hardware;
}

uint32_t crc32c(const void* data, size_t size, uint32_t crc) {
  return has_hardware ? crc32c_hardware(data, size, crc)
                      : crc32c_software(data, size, crc);
}

} // namespace almanac::storage
