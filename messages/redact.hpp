#pragma once

// What no one but an admin may read, removed from JSON wherever it sits:
// the one definition the entity reads and the event stream share.

#include <nlohmann/json_fwd.hpp>

namespace almanac {

/// Replaces every source connection (DSN, path, secret reference) by
/// {"kind": its kind, "redacted": true}.
void redact_connections(nlohmann::json& j);

/// redact_connections, and removes token hashes and every password field
/// (password, password_ref, password_env).
void remove_secrets(nlohmann::json& j);

} // namespace almanac
