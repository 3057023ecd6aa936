#pragma once

// API tokens: random secrets shown once, stored and compared only as
// SHA-256 hashes (runtime::hash_token, the gateway's own).

#include "runtime/access.hpp"

#include <caf/expected.hpp>

#include <string>

namespace almanac::catalog {

/// The lowercase hex SHA-256 of a token (64 characters): the one hash the
/// gateway looks tokens up by.
using runtime::hash_token;

/// A new random token (runtime::generate_token: 64 hex digits).
using runtime::generate_token;

/// Returns a new random token id, "tok-" and 16 hex digits (not secret: it
/// names the token in listings and revocations).
caf::expected<std::string> new_token_id();

} // namespace almanac::catalog
