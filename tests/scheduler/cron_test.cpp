// Cron expressions: parsing, errors naming the field, and matching.
#define BOOST_TEST_MODULE cron
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "actors/scheduler/cron.hpp"
#include "messages/error.hpp"

using namespace almanac;
using namespace almanac::scheduler;

namespace {

// 2026-11-22 (a Sunday) at hh:mm UTC.
int64_t at(int day, int hh, int mm) {
  return 1795305600 + (day - 22) * 86400 + hh * 3600 + mm * 60;
}

bool fires(const std::string& expr, int64_t t) {
  auto e = parse_cron(expr);
  BOOST_REQUIRE_MESSAGE(e, expr);
  return e->matches(t);
}

} // namespace

BOOST_AUTO_TEST_CASE(the_reference_time_is_a_sunday_midnight) {
  BOOST_CHECK(fires("0 0 22 11 0", at(22, 0, 0)));
}

BOOST_AUTO_TEST_CASE(fields_steps_ranges_lists_and_names) {
  BOOST_CHECK(fires("* * * * *", at(22, 13, 37)));
  BOOST_CHECK(fires("*/15 * * * *", at(22, 13, 45)));
  BOOST_CHECK(!fires("*/15 * * * *", at(22, 13, 46)));
  BOOST_CHECK(fires("30 2 * * *", at(23, 2, 30)));
  BOOST_CHECK(!fires("30 2 * * *", at(23, 3, 30)));
  BOOST_CHECK(fires("0 9-17/4 * * *", at(24, 13, 0)));
  BOOST_CHECK(!fires("0 9-17/4 * * *", at(24, 15, 0)));
  BOOST_CHECK(fires("0 0 * nov sun", at(22, 0, 0)));
  BOOST_CHECK(fires("0 0 * * mon-fri", at(23, 0, 0)));
  BOOST_CHECK(!fires("0 0 * * mon-fri", at(22, 0, 0)));
  BOOST_CHECK(fires("0 0 * * 7", at(22, 0, 0))); // 7 is Sunday too
  BOOST_CHECK(fires("5,10 * * * *", at(22, 1, 10)));
}

BOOST_AUTO_TEST_CASE(restricted_day_fields_match_either) {
  // the 1st of the month or any Monday
  BOOST_CHECK(fires("0 0 1 * mon", at(23, 0, 0)));  // a Monday
  BOOST_CHECK(!fires("0 0 1 * mon", at(24, 0, 0))); // a Tuesday, not the 1st
}

BOOST_AUTO_TEST_CASE(errors_name_the_field) {
  struct bad_case {
    std::string expr;
    std::string field;
  };
  for (auto& c : std::vector<bad_case>{{"* * * *", "5 fields"},
                                       {"60 * * * *", "minute"},
                                       {"* 24 * * *", "hour"},
                                       {"* * 0 * *", "day-of-month"},
                                       {"* * * 13 *", "month"},
                                       {"* * * * funday", "day-of-week"},
                                       {"*/0 * * * *", "minute"},
                                       {"5-1 * * * *", "minute"}}) {
    auto e = parse_cron(c.expr);
    BOOST_TEST_CONTEXT(c.expr) {
      BOOST_REQUIRE(!e);
      BOOST_CHECK(message_of(e.error()).find(c.field) != std::string::npos);
    }
  }
}
