#pragma once

// Helpers shared by the catalog test suites.

#include "messages/error.hpp"

#include <caf/expected.hpp>

#include <string>

namespace almanac::catalog::test {

/// The rendered error of `x`, or "" if it holds a value (safe to call
/// either way; Boost.Test evaluates messages eagerly).
template <class T>
std::string why(const caf::expected<T>& x) {
  return x ? std::string{} : render(x.error());
}

} // namespace almanac::catalog::test
