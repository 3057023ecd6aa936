#pragma once

// Statistics of one column, accumulated one value at a time in bounded
// memory. Values are JSON as connectors return them: numbers, booleans,
// strings, null.
//
// Distinct values and their counts are kept exactly in a hash map until the
// column has more than `exact_distinct_limit` of them (or their keys take more
// than `exact_bytes_limit` bytes); then they move into a HyperLogLog sketch
// (distinct count, relative standard error 1.04/sqrt(2^precision)) and a
// space-saving sketch (top values), which take every later value.
//
// Values order booleans < numbers < strings (SQLite's order for mixed
// columns): numbers compare numerically, strings by bytes (code points).
// Means and standard deviations use Welford's update over the numbers;
// text lengths count UTF-8 code points. Histograms are drawn from a bounded
// uniform reservoir of the numbers (or, for text, of their lengths): exact
// while the reservoir holds every value.

#include "actors/profiling/defaults.hpp"
#include "actors/profiling/hyperloglog.hpp"
#include "actors/profiling/pii.hpp"
#include "actors/profiling/reservoir.hpp"
#include "actors/profiling/space_saving.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

namespace almanac::profiling {

/// How a column's statistics are gathered.
struct column_stats_options {
  size_t exact_distinct_limit = defaults::exact_distinct_limit;
  size_t exact_bytes_limit = defaults::exact_bytes_limit;
  uint8_t hll_precision = defaults::hll_precision;
  size_t top_k = defaults::top_k;
  size_t space_saving_capacity = defaults::space_saving_capacity;
  size_t histogram_buckets = defaults::histogram_buckets;
  size_t reservoir_size = defaults::reservoir_size;
  /// Read strings that hold a number as that number (for NUMERIC columns a
  /// connector returns as text).
  bool numeric_strings = false;
};

/// The accumulator of one column's statistics.
class column_stats {
public:
  explicit column_stats(column_stats_options opts = {});

  /// Counts one value (a row of the column).
  void add(const nlohmann::json& value);

  /// The statistics so far: row_count, null_count, null_fraction,
  /// distinct_count, distinct_exact, distinct_error, distinct_method
  /// ("exact" or "hyperloglog"), min, max, mean, stddev, stddev_pop, length,
  /// top_values, top_values_exact, histogram, kind, sampled (false) and
  /// sample_size (= row_count); the table profiler sets the last two.
  nlohmann::json profile() const;

  /// The statistics of a table of `table_rows` rows of which the values
  /// seen are a uniform sample: like profile(), but row_count is
  /// `table_rows`, null_count and distinct_count are estimates for the
  /// table (distinct_exact false, distinct_method "sample_estimate": the
  /// Haas-Stokes Duj1 estimator over the sample's frequencies), with the
  /// sample's own figures as sample_null_count and sample_distinct_count;
  /// top values count occurrences in the sample (top_values_exact false)
  /// and the histogram is not exact.
  nlohmann::json sampled_profile(uint64_t table_rows) const;

  uint64_t row_count() const noexcept { return rows_; }

  /// Whether distinct values are still counted exactly.
  bool exact() const noexcept { return !hll_; }

  /// How many strings looked like e-mail addresses and phone numbers.
  const content_counts& content() const noexcept { return content_; }

private:
  void add_number(const nlohmann::json& value);
  void add_string(const std::string& text);
  void add_bool(bool b);
  void count_key(std::string key);
  void switch_to_sketches();
  nlohmann::json min_value() const;
  nlohmann::json max_value() const;
  nlohmann::json top_values() const;
  nlohmann::json histogram() const;

  column_stats_options opts_;
  uint64_t rows_ = 0;
  uint64_t nulls_ = 0;

  // Distinct values: exact until switch_to_sketches().
  std::unordered_map<std::string, uint64_t> exact_;
  size_t exact_bytes_ = 0;
  std::unique_ptr<hyperloglog> hll_;
  std::unique_ptr<space_saving> top_;

  // Booleans.
  uint64_t bools_ = 0;
  bool seen_false_ = false;
  bool seen_true_ = false;

  // Numbers (Welford).
  uint64_t numbers_ = 0;
  double mean_ = 0;
  double m2_ = 0;
  nlohmann::json num_min_;
  nlohmann::json num_max_;
  reservoir num_sample_;

  // Strings.
  uint64_t strings_ = 0;
  std::string str_min_;
  std::string str_max_;
  uint64_t len_min_ = 0;
  uint64_t len_max_ = 0;
  uint64_t len_sum_ = 0;
  reservoir len_sample_;
  content_counts content_;
};

/// Estimates the distinct values of `population` non-null values from a
/// uniform sample of `n` of them holding `d` distinct values, `f1` of which
/// occur once (Haas and Stokes' Duj1, as PostgreSQL's ANALYZE): n d / (n -
/// f1 + f1 n / population), within [d, population].
uint64_t estimate_distinct(uint64_t n, uint64_t d, uint64_t f1, uint64_t population) noexcept;

/// Number of Unicode code points in UTF-8 `text` (bytes that do not continue
/// a sequence).
uint64_t utf8_length(const std::string& text) noexcept;

} // namespace almanac::profiling
