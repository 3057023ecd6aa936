#include "actors/profiling/reservoir.hpp"

#include <algorithm>
#include <cmath>

namespace almanac::profiling {

reservoir::reservoir(size_t capacity, uint64_t seed)
  : capacity_(capacity), rng_(seed) {
}

void reservoir::offer(double x) {
  ++seen_;
  if (values_.size() < capacity_) {
    values_.push_back(x);
    return;
  }
  // Keep x with probability capacity / seen, in place of a random one.
  auto j = std::uniform_int_distribution<uint64_t>{0, seen_ - 1}(rng_);
  if (j < capacity_)
    values_[j] = x;
}

std::vector<uint64_t> equi_width_counts(const std::vector<double>& values,
                                        double min, double max, size_t buckets) {
  if (buckets == 0)
    return {};
  if (!(max > min)) // equal, or NaN bounds
    return {static_cast<uint64_t>(values.size())};
  std::vector<uint64_t> counts(buckets, 0);
  const double width = (max - min) / static_cast<double>(buckets);
  for (auto x : values) {
    double pos = std::floor((x - min) / width);
    size_t i = 0;
    if (pos >= static_cast<double>(buckets))
      i = buckets - 1;
    else if (pos > 0) // also false for NaN
      i = static_cast<size_t>(pos);
    ++counts[i];
  }
  return counts;
}

} // namespace almanac::profiling
