#pragma once

// Small text helpers every layer uses.

#include <algorithm>
#include <cctype>
#include <string>

namespace almanac {

/// `s` with ASCII letters in lowercase (other bytes, UTF-8 included, kept).
inline std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

} // namespace almanac
