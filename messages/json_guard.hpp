#pragma once

// Limits on untrusted text before anything parses it: well-formed UTF-8 and a
// bounded JSON nesting depth. Used at the HTTP edge and by the event codecs,
// so that no request can overflow a stack (a body nested 20,000 deep) or make
// a JSON dump throw later inside an actor (a query string holding %FF).

#include <nlohmann/json.hpp>

#include <caf/expected.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace almanac {

/// The deepest JSON nesting accepted anywhere (objects and arrays).
constexpr size_t max_json_depth = 64;

/// Returns the byte offset of the first invalid UTF-8 sequence in `text`
/// (overlong forms, surrogates and code points above U+10FFFF are invalid),
/// or std::string_view::npos when `text` is well-formed.
size_t find_invalid_utf8(std::string_view text);

/// True if `text` is well-formed UTF-8.
inline bool valid_utf8(std::string_view text) {
  return find_invalid_utf8(text) == std::string_view::npos;
}

/// `text` with each byte that find_invalid_utf8 would stop at replaced by
/// U+FFFD, so that it is valid UTF-8 (and dumps as JSON) by the same rule.
std::string to_valid_utf8(std::string_view text);

/// The nesting depth of the JSON text `text` (brackets outside strings);
/// stops counting past `limit` and returns limit + 1.
size_t json_depth(std::string_view text, size_t limit = max_json_depth);

/// Parses untrusted JSON text: ec::bad_request naming the problem if it is
/// not UTF-8, nested deeper than `max_depth`, or not JSON. `what` names the
/// text in the message ("request body", "event payload").
caf::expected<nlohmann::json> parse_json_guarded(std::string_view text,
                                                 const std::string& what,
                                                 size_t max_depth = max_json_depth);

} // namespace almanac
