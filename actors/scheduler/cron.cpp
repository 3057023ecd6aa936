#include "actors/scheduler/cron.hpp"

#include "messages/error.hpp"

#include <cctype>
#include <ctime>
#include <sstream>
#include <vector>

namespace almanac::scheduler {

namespace {

struct field_spec {
  const char* name;
  int lo;
  int hi;
  std::vector<std::string> names; ///< Names for lo, lo+1, ...
};

bool to_int(const std::string& s, const field_spec& f, int& out) {
  if (!s.empty() && std::all_of(s.begin(), s.end(), ::isdigit) && s.size() < 4) {
    out = std::stoi(s);
    if (f.hi == 6 && out == 7) // Sunday as 7
      out = 0;
    return true;
  }
  std::string lower;
  for (char c : s)
    lower += static_cast<char>(std::tolower(c));
  for (size_t i = 0; i < f.names.size(); ++i)
    if (f.names[i] == lower) {
      out = f.lo + static_cast<int>(i);
      return true;
    }
  return false;
}

template <size_t N>
caf::error parse_field(const std::string& text, const field_spec& f,
                       std::bitset<N>& bits, bool& any) {
  auto bad = [&](const std::string& why) {
    return make_error(ec::invalid_argument, std::string{"cron field "} + f.name
                                              + " '" + text + "': " + why);
  };
  any = text == "*";
  std::stringstream ss{text};
  std::string part;
  while (std::getline(ss, part, ',')) {
    int step = 1;
    auto slash = part.find('/');
    if (slash != std::string::npos) {
      auto s = part.substr(slash + 1);
      if (s.empty() || !std::all_of(s.begin(), s.end(), ::isdigit) || s.size() > 3
          || std::stoi(s) == 0)
        return bad("step must be a positive number");
      step = std::stoi(s);
      part = part.substr(0, slash);
    }
    int lo = f.lo;
    int hi = f.hi;
    if (part != "*") {
      auto dash = part.find('-');
      if (dash == std::string::npos) {
        if (!to_int(part, f, lo))
          return bad("'" + part + "' is not a value");
        hi = slash == std::string::npos ? lo : f.hi;
      } else if (!to_int(part.substr(0, dash), f, lo)
                 || !to_int(part.substr(dash + 1), f, hi)) {
        return bad("'" + part + "' is not a range");
      }
    }
    if (lo < f.lo || hi > f.hi || lo > hi)
      return bad("values must be within " + std::to_string(f.lo) + "-"
                 + std::to_string(f.hi));
    for (int v = lo; v <= hi; v += step)
      bits.set(static_cast<size_t>(v));
  }
  if (bits.none())
    return bad("empty");
  return caf::none;
}

} // namespace

caf::expected<cron_expr> parse_cron(const std::string& text) {
  std::stringstream ss{text};
  std::vector<std::string> parts;
  std::string p;
  while (ss >> p)
    parts.push_back(p);
  if (parts.size() != 5)
    return make_error(ec::invalid_argument,
                      "cron expression '" + text
                        + "' needs 5 fields: minute hour day-of-month month day-of-week");
  static const field_spec minute{"minute", 0, 59, {}};
  static const field_spec hour{"hour", 0, 23, {}};
  static const field_spec dom{"day-of-month", 1, 31, {}};
  static const field_spec month{"month", 1, 12, {"jan", "feb", "mar", "apr", "may", "jun",
                                                 "jul", "aug", "sep", "oct", "nov", "dec"}};
  static const field_spec dow{"day-of-week", 0, 6, {"sun", "mon", "tue", "wed", "thu", "fri", "sat"}};
  cron_expr e;
  bool ignored = false;
  if (auto err = parse_field(parts[0], minute, e.minutes, ignored))
    return err;
  if (auto err = parse_field(parts[1], hour, e.hours, ignored))
    return err;
  if (auto err = parse_field(parts[2], dom, e.days, e.any_day))
    return err;
  if (auto err = parse_field(parts[3], month, e.months, ignored))
    return err;
  if (auto err = parse_field(parts[4], dow, e.weekdays, e.any_weekday))
    return err;
  return e;
}

bool cron_expr::matches(int64_t unix_s) const {
  std::time_t t = static_cast<std::time_t>(unix_s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  if (!minutes.test(tm.tm_min) || !hours.test(tm.tm_hour) || !months.test(tm.tm_mon + 1))
    return false;
  bool dom_ok = days.test(tm.tm_mday);
  bool dow_ok = weekdays.test(tm.tm_wday);
  if (any_day && any_weekday)
    return true;
  if (any_day)
    return dow_ok;
  if (any_weekday)
    return dom_ok;
  return dom_ok || dow_ok;
}

} // namespace almanac::scheduler
