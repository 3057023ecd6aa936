#pragma once

// A bounded uniform sample of a stream of numbers (Vitter's algorithm R) and
// the equi-width histogram drawn from it. Deterministic: the generator has a
// fixed seed, so the same stream gives the same sample.

#include <cstdint>
#include <random>
#include <vector>

namespace almanac::profiling {

/// A uniform sample of at most `capacity` numbers out of all offered.
class reservoir {
public:
  explicit reservoir(size_t capacity, uint64_t seed = 0x5eed);

  /// Offers one number.
  void offer(double x);

  /// The numbers kept (all of them while seen() <= capacity).
  const std::vector<double>& values() const noexcept { return values_; }

  /// Number of values offered.
  uint64_t seen() const noexcept { return seen_; }

  /// Whether values() holds every value offered.
  bool complete() const noexcept { return seen_ == values_.size(); }

private:
  size_t capacity_;
  uint64_t seen_ = 0;
  std::vector<double> values_;
  std::mt19937_64 rng_;
};

/// Counts `values` in `buckets` equal-width buckets between `min` and `max`:
/// bucket i holds [min + i w, min + (i+1) w), the last one also holds max.
/// A single bucket when min == max; values outside [min, max] are clamped.
std::vector<uint64_t> equi_width_counts(const std::vector<double>& values,
                                        double min, double max, size_t buckets);

} // namespace almanac::profiling
