#include "actors/profiling/value_key.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace almanac::profiling {

namespace {

std::string float_text(double x) {
  // The shortest %.*g that reads back to the same double.
  char buf[32];
  for (int digits = 15; digits <= 17; ++digits) {
    std::snprintf(buf, sizeof buf, "%.*g", digits, x);
    if (std::strtod(buf, nullptr) == x)
      break;
  }
  return buf;
}

bool is_integer(const nlohmann::json& x) {
  return x.is_number_integer(); // signed or unsigned
}

} // namespace

std::string value_key(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::boolean:
      return value.get<bool>() ? "b1" : "b0";
    case nlohmann::json::value_t::number_integer:
      return "i" + std::to_string(value.get<int64_t>());
    case nlohmann::json::value_t::number_unsigned: {
      auto u = value.get<uint64_t>();
      if (u <= static_cast<uint64_t>(INT64_MAX))
        return "i" + std::to_string(u);
      return "u" + std::to_string(u);
    }
    case nlohmann::json::value_t::number_float: {
      auto d = value.get<double>();
      // [-2^63, 2^63) holds every integral double that fits an int64.
      if (std::isfinite(d) && d == std::trunc(d) && d >= -9223372036854775808.0
          && d < 9223372036854775808.0)
        return "i" + std::to_string(static_cast<int64_t>(d));
      return "d" + float_text(d);
    }
    case nlohmann::json::value_t::string:
      return "s" + value.get_ref<const std::string&>();
    default:
      return "s" + value.dump();
  }
}

nlohmann::json key_value(const std::string& key) {
  if (key.empty())
    return nullptr;
  auto text = key.substr(1);
  switch (key[0]) {
    case 'b': return text == "1";
    case 'i': return static_cast<int64_t>(std::strtoll(text.c_str(), nullptr, 10));
    case 'u': return static_cast<uint64_t>(std::strtoull(text.c_str(), nullptr, 10));
    case 'd': return std::strtod(text.c_str(), nullptr);
    default: return text;
  }
}

bool number_less(const nlohmann::json& a, const nlohmann::json& b) {
  if (is_integer(a) && is_integer(b)) {
    bool a_neg = a.is_number_integer() && !a.is_number_unsigned() && a.get<int64_t>() < 0;
    bool b_neg = b.is_number_integer() && !b.is_number_unsigned() && b.get<int64_t>() < 0;
    if (a_neg != b_neg)
      return a_neg;
    if (a_neg)
      return a.get<int64_t>() < b.get<int64_t>();
    return a.get<uint64_t>() < b.get<uint64_t>();
  }
  return a.get<double>() < b.get<double>();
}

} // namespace almanac::profiling
