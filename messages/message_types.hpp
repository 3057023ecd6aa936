#pragma once

// Registers every type that actor messages carry with CAF (0.17 names them
// with add_message_type; later versions use type-ID blocks), so that any
// message could cross a node (caf_io) and be printed in CAF's logs.

namespace caf {
class actor_system_config;
} // namespace caf

namespace almanac {

/// Adds every message type of messages/ to `cfg` (call once, before the
/// actor system starts).
void add_message_types(caf::actor_system_config& cfg);

} // namespace almanac
