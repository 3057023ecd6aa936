#pragma once

// Time as the catalog records, shows and accepts it: milliseconds since the
// epoch, and ISO-8601 in UTC (as in `as_of`).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace almanac {

/// Now, in milliseconds since the epoch (the wall clock).
int64_t now_ms();


/// Formats milliseconds since the epoch as "2024-05-01T12:34:56.789Z".
std::string iso_time(int64_t ms);

/// Parses "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS[.fff]]" with an optional "Z"
/// or "+HH:MM"/"-HH:MM" offset (no offset means UTC; ' ' may replace 'T')
/// into milliseconds since the epoch. nullopt if malformed or out of range.
std::optional<int64_t> parse_iso_time(std::string_view text);

} // namespace almanac
