#pragma once

// Printing of analysis values in Boost.Test messages.

#include "actors/lineage/sql/sql_analysis.hpp"

#include <ostream>

namespace almanac::lineage {

inline std::ostream& operator<<(std::ostream& os, const column_ref& c) {
  return os << c.table << "." << c.column;
}

} // namespace almanac::lineage
