#include "actors/profiling/xxhash64.hpp"

namespace almanac::profiling {

namespace {

constexpr uint64_t p1 = 0x9E3779B185EBCA87ULL;
constexpr uint64_t p2 = 0xC2B2AE3D27D4EB4FULL;
constexpr uint64_t p3 = 0x165667B19E3779F9ULL;
constexpr uint64_t p4 = 0x85EBCA77C2B2AE63ULL;
constexpr uint64_t p5 = 0x27D4EB2F165667C5ULL;

constexpr uint64_t rotl(uint64_t x, int r) noexcept {
  return (x << r) | (x >> (64 - r));
}

uint64_t read64(const unsigned char* p) noexcept {
  uint64_t x = 0;
  for (int i = 7; i >= 0; --i)
    x = (x << 8) | p[i];
  return x;
}

uint64_t read32(const unsigned char* p) noexcept {
  return uint64_t{p[0]} | uint64_t{p[1]} << 8 | uint64_t{p[2]} << 16
         | uint64_t{p[3]} << 24;
}

uint64_t round(uint64_t acc, uint64_t input) noexcept {
  acc += input * p2;
  acc = rotl(acc, 31);
  return acc * p1;
}

uint64_t merge_round(uint64_t acc, uint64_t val) noexcept {
  acc ^= round(0, val);
  return acc * p1 + p4;
}

} // namespace

uint64_t xxhash64(std::string_view data, uint64_t seed) noexcept {
  auto p = reinterpret_cast<const unsigned char*>(data.data());
  auto len = data.size();
  auto end = p + len;
  uint64_t h;
  if (len >= 32) {
    uint64_t v1 = seed + p1 + p2;
    uint64_t v2 = seed + p2;
    uint64_t v3 = seed;
    uint64_t v4 = seed - p1;
    for (auto limit = end - 32; p <= limit; p += 32) {
      v1 = round(v1, read64(p));
      v2 = round(v2, read64(p + 8));
      v3 = round(v3, read64(p + 16));
      v4 = round(v4, read64(p + 24));
    }
    h = rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18);
    h = merge_round(h, v1);
    h = merge_round(h, v2);
    h = merge_round(h, v3);
    h = merge_round(h, v4);
  } else {
    h = seed + p5;
  }
  h += len;
  for (; p + 8 <= end; p += 8) {
    h ^= round(0, read64(p));
    h = rotl(h, 27) * p1 + p4;
  }
  if (p + 4 <= end) {
    h ^= read32(p) * p1;
    h = rotl(h, 23) * p2 + p3;
    p += 4;
  }
  for (; p < end; ++p) {
    h ^= *p * p5;
    h = rotl(h, 11) * p1;
  }
  h ^= h >> 33;
  h *= p2;
  h ^= h >> 29;
  h *= p3;
  h ^= h >> 32;
  return h;
}

} // namespace almanac::profiling
