#pragma once

// Canonical keys of column values, for counting distinct and frequent values.
// A key is a one-letter type tag and the value's text, so that equal values
// have equal keys whatever JSON type the connector chose:
//
//   b0 / b1        booleans
//   i-42           integers, and floats with an integral value that fits an
//                  int64 (1.0 and 1 are the same value, as in SQL)
//   u184467...     unsigned integers above INT64_MAX
//   d0.25          other floats, shortest text that reads back exactly
//   sabc           strings (and, dumped, any array or object)
//
// NULL has no key: like SQL's count(DISTINCT), nulls are not values.

#include <nlohmann/json.hpp>

#include <string>

namespace almanac::profiling {

/// The canonical key of a non-null `value`.
std::string value_key(const nlohmann::json& value);

/// The value a key stands for (the inverse of value_key up to 1 == 1.0).
nlohmann::json key_value(const std::string& key);

/// Whether number `a` is less than number `b`, exactly for two integers
/// (signed or unsigned) and as doubles otherwise.
bool number_less(const nlohmann::json& a, const nlohmann::json& b);

} // namespace almanac::profiling
