#pragma once

// Checks on text received from users: UTF-8 validity and control characters.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace almanac::catalog {

/// Returns the byte offset of the first invalid UTF-8 sequence in `s`
/// (overlong forms, surrogates and code points above U+10FFFF are invalid),
/// or nullopt if `s` is valid UTF-8.
std::optional<size_t> invalid_utf8_at(std::string_view s);

/// Whether `s` is valid UTF-8.
inline bool valid_utf8(std::string_view s) {
  return !invalid_utf8_at(s).has_value();
}

/// Returns the byte offset of the first control character in `s`: C0
/// (U+0000..U+001F), DEL and C1 (U+0080..U+009F). With `allow_layout`,
/// '\n' and '\t' are allowed. Expects valid UTF-8.
std::optional<size_t> control_char_at(std::string_view s, bool allow_layout);

/// Returns `s` fit for an error message: control characters and bytes of
/// invalid UTF-8 become "\xNN", and text past `max` bytes becomes "...".
std::string printable(std::string_view s, size_t max = 120);

} // namespace almanac::catalog
