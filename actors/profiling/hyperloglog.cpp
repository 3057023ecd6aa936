#include "actors/profiling/hyperloglog.hpp"

#include "actors/profiling/xxhash64.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace almanac::profiling {

namespace {

// sigma(x) = x + sum_{k>=1} x^(2^k) 2^(k-1), for the registers still at 0.
double sigma(double x) {
  if (x == 1.0)
    return std::numeric_limits<double>::infinity();
  double y = 1.0;
  double z = x;
  double previous;
  do {
    x *= x;
    previous = z;
    z += x * y;
    y += y;
  } while (z != previous);
  return z;
}

// tau(x) = (1 - x - sum_{k>=1} (1 - x^(2^-k))^2 2^-k) / 3, for the registers
// at their maximum value q + 1.
double tau(double x) {
  if (x == 0.0 || x == 1.0)
    return 0.0;
  double y = 1.0;
  double z = 1.0 - x;
  double previous;
  do {
    x = std::sqrt(x);
    previous = z;
    y *= 0.5;
    z -= (1.0 - x) * (1.0 - x) * y;
  } while (z != previous);
  return z / 3.0;
}

} // namespace

hyperloglog::hyperloglog(uint8_t precision)
  : p_(std::clamp(precision, min_precision, max_precision)),
    registers_(size_t{1} << p_, 0) {
}

void hyperloglog::add_hash(uint64_t hash) noexcept {
  // The top p bits pick the register; the rank is the position of the first
  // 1-bit in the remaining q = 64 - p bits (q + 1 if they are all 0).
  auto index = hash >> (64 - p_);
  auto rest = hash << p_;
  auto q = 64 - p_;
  uint8_t rank = rest == 0 ? q + 1
                           : static_cast<uint8_t>(__builtin_clzll(rest) + 1);
  if (rank > registers_[index])
    registers_[index] = rank;
}

void hyperloglog::add(std::string_view bytes) noexcept {
  add_hash(xxhash64(bytes));
}

bool hyperloglog::merge(const hyperloglog& other) noexcept {
  if (other.p_ != p_)
    return false;
  for (size_t i = 0; i < registers_.size(); ++i)
    registers_[i] = std::max(registers_[i], other.registers_[i]);
  return true;
}

double hyperloglog::estimate() const {
  const int q = 64 - p_;
  const double m = static_cast<double>(registers_.size());
  std::vector<uint32_t> counts(q + 2, 0);
  for (auto r : registers_)
    ++counts[r];
  if (counts[0] == registers_.size())
    return 0.0;
  double z = m * tau(1.0 - counts[q + 1] / m);
  for (int k = q; k >= 1; --k)
    z = 0.5 * (z + counts[k]);
  z += m * sigma(counts[0] / m);
  const double alpha_inf = 1.0 / (2.0 * std::log(2.0));
  return alpha_inf * m * m / z;
}

double hyperloglog::standard_error() const noexcept {
  return 1.04 / std::sqrt(static_cast<double>(registers_.size()));
}

} // namespace almanac::profiling
