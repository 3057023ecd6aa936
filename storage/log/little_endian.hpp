#pragma once

// Unaligned little-endian loads and stores for the on-disk formats.

#include <cstring>

namespace almanac::storage {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "the on-disk formats are little-endian; add byte swaps here");

/// Stores `value` at `at` (no alignment needed).
template <class T>
void store_le(char* at, T value) {
  std::memcpy(at, &value, sizeof(T));
}

/// Loads a T from `at` (no alignment needed).
template <class T>
T load_le(const char* at) {
  T value;
  std::memcpy(&value, at, sizeof(T));
  return value;
}

} // namespace almanac::storage
