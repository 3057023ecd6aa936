#include "actors/search/domain/text.hpp"

#include <algorithm>
#include <array>

namespace almanac::search {
namespace {

enum class cls { sep, lower, upper, digit, other };

cls classify(unsigned char c) {
  if (c >= 'a' && c <= 'z') return cls::lower;
  if (c >= 'A' && c <= 'Z') return cls::upper;
  if (c >= '0' && c <= '9') return cls::digit;
  if (c >= 0x80) return cls::other;
  return cls::sep;
}

// Calls f(begin, end) for each word of `text` (original case).
template <class F>
void each_word(std::string_view text, F f) {
  size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    while (i < n && classify(text[i]) == cls::sep) ++i;
    if (i >= n) break;
    size_t start = i;
    while (i < n) {
      cls c = classify(text[i]);
      if (c == cls::sep) break;
      if (i > start) {
        cls p = classify(text[i - 1]);
        bool letter = c == cls::lower || c == cls::upper;
        bool pletter = p == cls::lower || p == cls::upper;
        // letter <-> digit boundary
        if ((c == cls::digit && pletter) || (letter && p == cls::digit)) break;
        // camelCase: aB
        if (c == cls::upper && p == cls::lower) break;
        // HTTPServer: the last upper of a run starts a word before a lower
        if (c == cls::upper && p == cls::upper && i + 1 < n &&
            classify(text[i + 1]) == cls::lower)
          break;
      }
      ++i;
    }
    f(start, i);
  }
}

} // namespace

std::vector<std::string> words(std::string_view text) {
  std::vector<std::string> out;
  each_word(text, [&](size_t b, size_t e) {
    std::string w(text.substr(b, e - b));
    for (auto& ch : w)
      if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
    out.push_back(std::move(w));
  });
  return out;
}

std::string split_for_display(std::string_view text) {
  // Keeps prose punctuation: only identifier-internal separators become
  // spaces.
  std::string out;
  out.reserve(text.size() + 8);
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    cls k = classify(c);
    if ((c == '_' || c == '.') && i > 0 && i + 1 < text.size() &&
        classify(text[i - 1]) != cls::sep && classify(text[i + 1]) != cls::sep) {
      out.push_back(' ');
      continue;
    }
    if (i > 0 && k == cls::upper && classify(text[i - 1]) == cls::lower) out.push_back(' ');
    out.push_back(c);
  }
  return out;
}

std::string normalize(std::string_view text) {
  std::string out;
  for (auto& w : words(text)) out += w;
  return out;
}

bool is_vowel(char c) {
  return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u';
}

std::string title_word(std::string_view word) {
  static const std::array<std::string_view, 12> acronyms = {
    "id", "url", "sql", "ip", "uuid", "api", "utc", "json", "xml", "csv", "http", "pk"};
  std::string w(word);
  if (std::find(acronyms.begin(), acronyms.end(), word) != acronyms.end()) {
    for (auto& c : w)
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return w;
  }
  if (!w.empty() && w[0] >= 'a' && w[0] <= 'z') w[0] = static_cast<char>(w[0] - 'a' + 'A');
  return w;
}

} // namespace almanac::search
