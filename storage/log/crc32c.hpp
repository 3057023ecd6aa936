#pragma once

// CRC32C (Castagnoli), the checksum of every record frame and index entry.
// Uses the SSE4.2 crc32 instruction when the CPU has it (detected once at run
// time) and a table otherwise; both give the same values.

#include <cstddef>
#include <cstdint>

namespace almanac::storage {

/// Returns the CRC32C of `size` bytes at `data`, continuing from `crc` (the
/// value returned for the preceding bytes; 0 to start).
uint32_t crc32c(const void* data, size_t size, uint32_t crc = 0);

/// Returns whether crc32c() uses the SSE4.2 instruction on this machine.
bool crc32c_hardware_available();

/// Table-driven CRC32C; same contract as crc32c(). Exposed for tests.
uint32_t crc32c_software(const void* data, size_t size, uint32_t crc = 0);

/// SSE4.2 CRC32C; same contract as crc32c(). Only call it when
/// crc32c_hardware_available() is true. Exposed for tests.
uint32_t crc32c_hardware(const void* data, size_t size, uint32_t crc = 0);

} // namespace almanac::storage
