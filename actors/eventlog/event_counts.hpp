#pragma once

// The event_counts projection: per event type, how many events; per key, how
// many events and a running hash of their offsets and payloads. Cheap, and
// sensitive to any event applied twice or skipped, which makes it the
// reference projection for exactly-once tests; the admin console shows it.

#include "runtime/projection.hpp"

#include <memory>
#include <string>

namespace almanac::eventlog {

/// Creates an event_counts projection stored in `dir`.
std::unique_ptr<runtime::projection> make_event_counts(std::string dir);

} // namespace almanac::eventlog
