#pragma once

// Every typed actor interface of Almanac, one comment per handler.
// CAF-heavy: include only from actor implementations and the node runtime.

#include "messages/atoms.hpp"

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace almanac {

/// A supervisor: owns children, restarts them per its strategy, escalates
/// past its restart intensity. Stops its children in reverse start order on
/// any exit message it receives (graceful shutdown), then exits.
using supervisor_actor = caf::typed_actor<
  // Restart the named child now (admin); fails with not_found / unavailable.
  caf::replies_to<atom::restart, std::string>::with<caf::ok_atom>,
  // Returns the names of the children in start order.
  caf::replies_to<atom::children>::with<std::vector<std::string>>,
  // Internal: the backoff for child (index, generation) has elapsed.
  caf::reacts_to<atom::start, uint64_t, uint64_t>,
  // Internal: the shutdown grace of child (index, generation) has elapsed.
  caf::reacts_to<atom::grace, uint64_t, uint64_t>>;

} // namespace almanac

namespace almanac {

/// The HTTP gateway: owns the listener; requests are served on its threads.
using gateway_actor = caf::typed_actor<
  // Returns the base URL the gateway listens on.
  caf::replies_to<caf::get_atom>::with<std::string>>;

} // namespace almanac
