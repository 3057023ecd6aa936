#pragma once

// Atoms of Almanac's actor protocols (CAF 0.17: at most 10 characters).

#include <caf/atom.hpp>

namespace almanac::atom {

/// Restart a supervised child by name.
using restart = caf::atom_constant<caf::atom("restart")>;
/// Internal: a delayed (backoff) start of a child is due.
using start = caf::atom_constant<caf::atom("start")>;
/// Internal: a stopping child exceeded its shutdown grace period.
using grace = caf::atom_constant<caf::atom("grace")>;
/// List the names of a supervisor's children.
using children = caf::atom_constant<caf::atom("children")>;

} // namespace almanac::atom
