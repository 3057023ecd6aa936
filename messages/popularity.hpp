#pragma once
// Popularity: uses (query reads and writes, page views) that decay with a
// half-life, the one definition the lineage store (GET .../popularity) and
// the search index (ranking, suggestions) both keep. Each is derived from
// the events alone (their times, never the clock of the apply), so a
// projection equals its rebuild; only reading it now decays it to now.
// Kept as the score at the time of the last use; decaying two scores to
// the same time never changes which is higher.
#include <cmath>
#include <cstdint>

namespace almanac::popularity {

struct decayed_uses {
  double score = 0;    ///< The decayed count at last_ms.
  int64_t last_ms = 0; ///< The time of the latest use.
};

/// The half-life in milliseconds of `days` (popularity.half_life_days).
inline double half_life_ms(double days) {
  return days * 86400.0 * 1000.0;
}

/// Adds `n` uses at `ms` (uses may come out of order: an older one counts
/// decayed to the latest).
inline void add(decayed_uses& d, double n, int64_t ms, double half_life) {
  if (d.score <= 0) {
    d.score = n;
    d.last_ms = ms;
  } else if (ms >= d.last_ms) {
    d.score = d.score * std::exp2(-static_cast<double>(ms - d.last_ms) / half_life) + n;
    d.last_ms = ms;
  } else {
    d.score += n * std::exp2(-static_cast<double>(d.last_ms - ms) / half_life);
  }
}

/// The score decayed to `now_ms` (never grown: a use in the future counts as now).
inline double at(const decayed_uses& d, int64_t now_ms, double half_life) {
  if (d.score <= 0)
    return 0;
  auto age = now_ms > d.last_ms ? now_ms - d.last_ms : 0;
  return d.score * std::exp2(-static_cast<double>(age) / half_life);
}

} // namespace almanac::popularity
