// Fuzzes the cron parser (actors/scheduler/cron.hpp) with arbitrary text.
// Checks: nothing throws; an error is invalid_argument with a message; an
// accepted expression has a value in every field, only values in range, and
// matches() answers for any time (including times gmtime cannot represent).

#include "fuzz/fuzz_check.hpp"
#include "actors/scheduler/cron.hpp"
#include "messages/error.hpp"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>

using namespace almanac;
using namespace almanac::scheduler;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 1024)
    return 0;
  std::string text(reinterpret_cast<const char*>(data), size);
  auto e = parse_cron(text);
  if (!e) {
    FUZZ_CHECK(code_of(e.error()) == ec::invalid_argument);
    FUZZ_CHECK(!message_of(e.error()).empty());
    return 0;
  }
  FUZZ_CHECK(e->minutes.any() && e->hours.any() && e->days.any() && e->months.any()
        && e->weekdays.any());
  FUZZ_CHECK(!e->days.test(0) && !e->months.test(0));
  int64_t t = 1795305600; // 2026-11-22 00:00 UTC
  if (size >= 8)
    std::memcpy(&t, data + size - 8, 8);
  for (auto x : {t, int64_t{0}, int64_t{-1}, std::numeric_limits<int64_t>::max(),
                 std::numeric_limits<int64_t>::min(), int64_t{1795305600}})
    e->matches(x);
  // Every minute of one day: an expression that fires at all in a year
  // need not fire today, so only exercise it.
  for (int64_t m = 0; m < 24 * 60; m += 7)
    e->matches(1795305600 + m * 60);
  return 0;
}
