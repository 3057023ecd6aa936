#include "actors/profiling/column_stats.hpp"

#include "actors/profiling/value_key.hpp"
#include "actors/profiling/xxhash64.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <vector>

namespace almanac::profiling {

namespace {

/// Approximate heap cost of one exact entry beyond its key's bytes.
constexpr size_t entry_overhead = 64;

/// The number `text` holds, or null if it holds something else.
nlohmann::json parse_number(const std::string& text) {
  if (text.empty() || std::isspace(static_cast<unsigned char>(text[0])))
    return nullptr;
  const char* begin = text.c_str();
  char* end = nullptr;
  errno = 0;
  auto i = std::strtoll(begin, &end, 10);
  if (errno == 0 && *end == '\0')
    return static_cast<int64_t>(i);
  errno = 0;
  auto d = std::strtod(begin, &end);
  if (errno == 0 && *end == '\0' && std::isfinite(d))
    return d;
  return nullptr;
}

using key_count = std::pair<const std::string*, uint64_t>;

/// The `k` entries of `counts` with the largest counts, by count descending,
/// then key ascending (deterministic among ties).
std::vector<key_count>
largest_counts(const std::unordered_map<std::string, uint64_t>& counts, size_t k) {
  std::vector<key_count> all;
  all.reserve(counts.size());
  for (const auto& [key, count] : counts)
    all.emplace_back(&key, count);
  k = std::min(k, all.size());
  std::partial_sort(all.begin(), all.begin() + k, all.end(),
                    [](const key_count& a, const key_count& b) {
                      return a.second != b.second ? a.second > b.second
                                                  : *a.first < *b.first;
                    });
  all.resize(k);
  return all;
}

} // namespace

uint64_t utf8_length(const std::string& text) noexcept {
  uint64_t n = 0;
  for (unsigned char c : text)
    n += (c & 0xC0) != 0x80;
  return n;
}

column_stats::column_stats(column_stats_options opts)
  : opts_(opts),
    num_sample_(opts.reservoir_size),
    len_sample_(opts.reservoir_size) {
}

void column_stats::add(const nlohmann::json& value) {
  ++rows_;
  switch (value.type()) {
    case nlohmann::json::value_t::null:
    case nlohmann::json::value_t::discarded:
      ++nulls_;
      return;
    case nlohmann::json::value_t::boolean:
      add_bool(value.get<bool>());
      break;
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float:
      add_number(value);
      break;
    case nlohmann::json::value_t::string: {
      const auto& text = value.get_ref<const std::string&>();
      if (opts_.numeric_strings) {
        if (auto number = parse_number(text); !number.is_null()) {
          add_number(number);
          count_key(value_key(number));
          return;
        }
      }
      add_string(text);
      break;
    }
    default:
      add_string(value.dump());
      break;
  }
  count_key(value_key(value));
}

void column_stats::add_bool(bool b) {
  ++bools_;
  (b ? seen_true_ : seen_false_) = true;
}

void column_stats::add_number(const nlohmann::json& value) {
  auto x = value.get<double>();
  ++numbers_;
  auto delta = x - mean_;
  mean_ += delta / static_cast<double>(numbers_);
  m2_ += delta * (x - mean_);
  if (num_min_.is_null() || number_less(value, num_min_))
    num_min_ = value;
  if (num_max_.is_null() || number_less(num_max_, value))
    num_max_ = value;
  num_sample_.offer(x);
}

void column_stats::add_string(const std::string& text) {
  auto len = utf8_length(text);
  if (strings_ == 0) {
    str_min_ = str_max_ = text;
    len_min_ = len_max_ = len;
  } else {
    if (text < str_min_)
      str_min_ = text;
    if (str_max_ < text)
      str_max_ = text;
    len_min_ = std::min(len_min_, len);
    len_max_ = std::max(len_max_, len);
  }
  ++strings_;
  len_sum_ += len;
  len_sample_.offer(static_cast<double>(len));
  ++content_.strings;
  if (looks_like_email(text))
    ++content_.emails;
  else if (looks_like_phone(text))
    ++content_.phones;
}

void column_stats::count_key(std::string key) {
  if (hll_) {
    hll_->add(key);
    top_->add(key);
    return;
  }
  auto [it, fresh] = exact_.try_emplace(std::move(key), 0);
  ++it->second;
  if (!fresh)
    return;
  exact_bytes_ += it->first.size() + entry_overhead;
  if (exact_.size() > opts_.exact_distinct_limit
      || exact_bytes_ > opts_.exact_bytes_limit)
    switch_to_sketches();
}

void column_stats::switch_to_sketches() {
  hll_ = std::make_unique<hyperloglog>(opts_.hll_precision);
  top_ = std::make_unique<space_saving>(opts_.space_saving_capacity);
  for (const auto& entry : exact_)
    hll_->add(entry.first);
  // Seed the space-saving sketch with the largest exact counts (error 0):
  // every key left out occurred at most as often as the smallest one seeded,
  // which is the sketch's invariant for unmonitored keys.
  for (const auto& [key, count] : largest_counts(exact_, top_->capacity()))
    top_->add(*key, count, 0);
  exact_.clear();
  exact_.rehash(0);
  exact_bytes_ = 0;
}

nlohmann::json column_stats::min_value() const {
  if (bools_ > 0)
    return !seen_false_; // false if any false was seen
  if (numbers_ > 0)
    return num_min_;
  if (strings_ > 0)
    return str_min_;
  return nullptr;
}

nlohmann::json column_stats::max_value() const {
  if (strings_ > 0)
    return str_max_;
  if (numbers_ > 0)
    return num_max_;
  if (bools_ > 0)
    return seen_true_;
  return nullptr;
}

nlohmann::json column_stats::top_values() const {
  auto result = nlohmann::json::array();
  if (hll_) {
    for (const auto& c : top_->top(opts_.top_k))
      result.push_back({{"value", key_value(c.key)},
                        {"count", c.count},
                        {"count_error", c.error}});
    return result;
  }
  for (const auto& [key, count] : largest_counts(exact_, opts_.top_k))
    result.push_back({{"value", key_value(*key)}, {"count", count}});
  return result;
}

nlohmann::json column_stats::histogram() const {
  const reservoir* sample = nullptr;
  double lo = 0;
  double hi = 0;
  const char* of = nullptr;
  if (numbers_ > 0) {
    sample = &num_sample_;
    lo = num_min_.get<double>();
    hi = num_max_.get<double>();
    of = "value";
  } else if (strings_ > 0) {
    sample = &len_sample_;
    lo = static_cast<double>(len_min_);
    hi = static_cast<double>(len_max_);
    of = "length";
  } else {
    return nullptr;
  }
  return {{"of", of},
          {"min", lo},
          {"max", hi},
          {"counts", equi_width_counts(sample->values(), lo, hi, opts_.histogram_buckets)},
          {"exact", sample->complete()},
          {"sample_size", sample->values().size()}};
}

nlohmann::json column_stats::profile() const {
  auto values = rows_ - nulls_;
  nlohmann::json p;
  p["row_count"] = rows_;
  p["null_count"] = nulls_;
  p["null_fraction"] = rows_ == 0 ? 0.0 : static_cast<double>(nulls_) / rows_;
  int kinds = (bools_ > 0) + (numbers_ > 0) + (strings_ > 0);
  p["kind"] = kinds == 0       ? "null"
              : kinds > 1      ? "mixed"
              : bools_ > 0     ? "boolean"
              : numbers_ > 0   ? "number"
                               : "string";
  if (hll_) {
    auto estimate = std::llround(hll_->estimate());
    p["distinct_count"] = std::min<uint64_t>(static_cast<uint64_t>(estimate), values);
    p["distinct_exact"] = false;
    p["distinct_error"] = hll_->standard_error();
    p["distinct_method"] = "hyperloglog";
  } else {
    p["distinct_count"] = exact_.size();
    p["distinct_exact"] = true;
    p["distinct_error"] = nullptr;
    p["distinct_method"] = "exact";
  }
  p["min"] = min_value();
  p["max"] = max_value();
  if (numbers_ > 0) {
    p["mean"] = mean_;
    p["stddev"] = numbers_ > 1
                    ? nlohmann::json(std::sqrt(m2_ / static_cast<double>(numbers_ - 1)))
                    : nlohmann::json(nullptr);
    p["stddev_pop"] = std::sqrt(m2_ / static_cast<double>(numbers_));
  } else {
    p["mean"] = p["stddev"] = p["stddev_pop"] = nullptr;
  }
  if (strings_ > 0)
    p["length"] = {{"min", len_min_},
                   {"max", len_max_},
                   {"mean", static_cast<double>(len_sum_) / static_cast<double>(strings_)}};
  else
    p["length"] = nullptr;
  p["top_values"] = top_values();
  p["top_values_exact"] = !hll_;
  p["top_values_method"] = hll_ ? "space_saving" : "exact";
  p["histogram"] = histogram();
  p["sampled"] = false;
  p["sample_size"] = rows_;
  return p;
}

uint64_t estimate_distinct(uint64_t n, uint64_t d, uint64_t f1, uint64_t population) noexcept {
  if (n == 0 || d == 0)
    return 0;
  if (population <= n)
    return std::min(d, population);
  auto nn = static_cast<double>(n);
  auto denominator = nn - static_cast<double>(f1) + static_cast<double>(f1) * nn
                                                      / static_cast<double>(population);
  auto estimate = denominator > 0 ? nn * static_cast<double>(d) / denominator
                                  : static_cast<double>(population);
  auto rounded = static_cast<uint64_t>(std::llround(estimate));
  return std::clamp<uint64_t>(rounded, d, population);
}

nlohmann::json column_stats::sampled_profile(uint64_t table_rows) const {
  auto p = profile();
  auto values = rows_ - nulls_;
  table_rows = std::max(table_rows, rows_);
  auto null_fraction = p["null_fraction"].get<double>();
  auto table_values = static_cast<uint64_t>(
    std::llround(static_cast<double>(table_rows) * (1.0 - null_fraction)));
  auto sample_distinct = p["distinct_count"].get<uint64_t>();
  uint64_t distinct = sample_distinct;
  if (!hll_) {
    uint64_t f1 = 0;
    for (const auto& entry : exact_)
      f1 += entry.second == 1;
    distinct = estimate_distinct(values, sample_distinct, f1, table_values);
  } else if (values > 0 && sample_distinct * 20 >= values * 19) {
    // Frequencies are gone: a column nearly unique in the sample is taken
    // to be as unique in the table.
    distinct = std::min<uint64_t>(
      table_values, std::llround(static_cast<double>(sample_distinct) * table_values
                                 / static_cast<double>(values)));
  }
  p["sample_null_count"] = nulls_;
  p["sample_distinct_count"] = sample_distinct;
  p["row_count"] = table_rows;
  p["null_count"] = table_rows - table_values;
  p["distinct_count"] = distinct;
  p["distinct_exact"] = false;
  p["distinct_method"] = "sample_estimate";
  p["top_values_exact"] = false;
  if (p["histogram"].is_object())
    p["histogram"]["exact"] = false;
  return p;
}

} // namespace almanac::profiling
