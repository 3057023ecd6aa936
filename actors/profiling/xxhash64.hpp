#pragma once

// XXH64 (Yann Collet's xxHash, 64-bit variant), written from the published
// specification (github.com/Cyan4973/xxHash/blob/dev/doc/xxhash_spec.md).
// Byte-order independent: input is read as little-endian on any host, so the
// same bytes hash the same everywhere (sketches could be merged across nodes).

#include <cstdint>
#include <string_view>

namespace almanac::profiling {

/// Returns the XXH64 hash of `data` with `seed`.
uint64_t xxhash64(std::string_view data, uint64_t seed = 0) noexcept;

} // namespace almanac::profiling
