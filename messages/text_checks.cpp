#include "messages/text_checks.hpp"

#include <cstdint>

namespace almanac::catalog {

std::optional<size_t> invalid_utf8_at(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return i;
    }
    if (i + len > s.size())
      return i;
    for (size_t k = 1; k < len; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80)
        return i;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr uint32_t min_of_len[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_of_len[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return i;
    i += len;
  }
  return std::nullopt;
}

std::optional<size_t> control_char_at(std::string_view s, bool allow_layout) {
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7F) {
      if (allow_layout && (c == '\n' || c == '\t'))
        continue;
      return i;
    }
    // C1 controls are U+0080..U+009F: 0xC2 0x80..0x9F in UTF-8.
    if (c == 0xC2 && i + 1 < s.size()) {
      auto next = static_cast<unsigned char>(s[i + 1]);
      if (next >= 0x80 && next <= 0x9F)
        return i;
    }
  }
  return std::nullopt;
}

std::string printable(std::string_view s, size_t max) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  size_t i = 0;
  while (i < s.size() && out.size() < max) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    auto seq = s.substr(i, len);
    bool ok = len > 1 ? seq.size() == len && valid_utf8(seq)
                      : !control_char_at(seq, false);
    if (ok && len == 2 && control_char_at(seq, false))
      ok = false;
    if (ok) {
      out.append(seq);
      i += len;
    } else {
      out += "\\x";
      out += digits[c >> 4];
      out += digits[c & 0xF];
      ++i;
    }
  }
  if (i < s.size())
    out += "...";
  return out;
}

} // namespace almanac::catalog
