#pragma once

// Helpers shared by the profiling suites.

#include "actors/profiling/table_profiler.hpp"
#include "messages/error.hpp"

#include <caf/expected.hpp>

#include <string>
#include <vector>

namespace almanac::profiling::test {

/// The error of `x` rendered, or "ok" (Boost builds messages either way).
template <class T>
std::string why(const caf::expected<T>& x) {
  return x ? std::string{"ok"} : render(x.error());
}

/// Options of a full read in pages of `page_size` rows.
inline profile_options full_read(uint64_t page_size,
                                 sql_dialect dialect = sql_dialect::generic,
                                 std::vector<std::string> keys = {}) {
  profile_options opts;
  opts.full = true;
  opts.page_size = page_size;
  opts.dialect = dialect;
  opts.key_columns = std::move(keys);
  return opts;
}

} // namespace almanac::profiling::test
