#pragma once

// Cron expressions (the five classic fields): minute hour day-of-month month
// day-of-week, each "*", a number, a range "a-b", a list "a,b", or a step
// "*/n" / "a-b/n"; month and day names (jan, mon) are accepted. As in cron,
// when both day fields are restricted a day matches either of them.

#include <caf/expected.hpp>

#include <bitset>
#include <cstdint>
#include <string>

namespace almanac::scheduler {

/// A parsed cron expression.
struct cron_expr {
  std::bitset<60> minutes;
  std::bitset<24> hours;
  std::bitset<32> days;     ///< 1..31
  std::bitset<13> months;   ///< 1..12
  std::bitset<7> weekdays;  ///< 0 = Sunday
  bool any_day = true;      ///< Day-of-month was "*".
  bool any_weekday = true;  ///< Day-of-week was "*".

  /// Whether the expression fires in the UTC minute that contains `unix_s`.
  bool matches(int64_t unix_s) const;
};

/// Parses `text`; the error names the bad field.
caf::expected<cron_expr> parse_cron(const std::string& text);

} // namespace almanac::scheduler
