#include "messages/json_guard.hpp"

#include "messages/error.hpp"

namespace almanac {

size_t find_invalid_utf8(std::string_view text) {
  auto n = text.size();
  auto at = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  auto cont = [&](size_t i) { return i < n && (at(i) & 0xC0) == 0x80; };
  size_t i = 0;
  while (i < n) {
    auto c = at(i);
    if (c < 0x80) {
      ++i;
      continue;
    }
    if (c >= 0xC2 && c <= 0xDF) {
      if (!cont(i + 1))
        return i;
      i += 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      if (!cont(i + 1) || !cont(i + 2))
        return i;
      auto c1 = at(i + 1);
      if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 >= 0xA0))
        return i; // overlong, or a UTF-16 surrogate
      i += 3;
    } else if (c >= 0xF0 && c <= 0xF4) {
      if (!cont(i + 1) || !cont(i + 2) || !cont(i + 3))
        return i;
      auto c1 = at(i + 1);
      if ((c == 0xF0 && c1 < 0x90) || (c == 0xF4 && c1 >= 0x90))
        return i; // overlong, or above U+10FFFF
      i += 4;
    } else {
      return i; // a continuation byte first, 0xC0/0xC1, or 0xF5..0xFF
    }
  }
  return std::string_view::npos;
}

std::string to_valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (;;) {
    auto bad = find_invalid_utf8(text);
    if (bad == std::string_view::npos) {
      out.append(text);
      return out;
    }
    out.append(text.substr(0, bad));
    out += "\xEF\xBF\xBD";
    text.remove_prefix(bad + 1);
  }
}

size_t json_depth(std::string_view text, size_t limit) {
  size_t depth = 0;
  size_t deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        break;
      case '[':
      case '{':
        if (++depth > deepest) {
          deepest = depth;
          if (deepest > limit)
            return limit + 1;
        }
        break;
      case ']':
      case '}':
        if (depth > 0)
          --depth;
        break;
      default:
        break;
    }
  }
  return deepest;
}

caf::expected<nlohmann::json> parse_json_guarded(std::string_view text,
                                                 const std::string& what,
                                                 size_t max_depth) {
  if (auto bad = find_invalid_utf8(text); bad != std::string_view::npos)
    return make_error(ec::bad_request, what + " is not valid UTF-8 (byte "
                                         + std::to_string(bad) + ")");
  if (json_depth(text, max_depth) > max_depth)
    return make_error(ec::bad_request, what + " nests JSON deeper than "
                                         + std::to_string(max_depth) + " levels");
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    return make_error(ec::bad_request, "malformed JSON in " + what + ": " + e.what());
  }
}

} // namespace almanac
