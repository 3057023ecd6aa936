#pragma once

// Default settings of profiling, in one place.

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace almanac::profiling::defaults {

/// Distinct values counted exactly (in a hash map) before switching to
/// HyperLogLog and space-saving.
constexpr size_t exact_distinct_limit = 100'000;

/// Bytes of distinct keys kept exactly per column before switching anyway
/// (long texts would otherwise take 100,000 x their length).
constexpr size_t exact_bytes_limit = size_t{32} << 20;

/// HyperLogLog precision: 2^14 registers, standard error 1.04/128 = 0.81 %.
constexpr uint8_t hll_precision = 14;

/// Most frequent values reported.
constexpr size_t top_k = 10;

/// Counters of the space-saving sketch once exact counting stops: keys more
/// frequent than 1/1000 of the rows are guaranteed to be monitored.
constexpr size_t space_saving_capacity = 1000;

/// Buckets of equi-width histograms.
constexpr size_t histogram_buckets = 10;

/// Values (or text lengths) kept per column for the histogram.
constexpr size_t reservoir_size = 10'000;

/// Rows of a sample, as the seed system.
constexpr uint64_t sample_size = 10'000;

/// Rows per query when reading a full table.
constexpr uint64_t page_size = 10'000;

/// Timeout of each query.
constexpr std::chrono::milliseconds query_timeout{300'000};

} // namespace almanac::profiling::defaults
