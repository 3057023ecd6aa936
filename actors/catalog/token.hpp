#pragma once

// API tokens: random secrets shown once, stored and compared only as
// SHA-256 hashes (the same format as http::hash_token).

#include <caf/expected.hpp>

#include <string>

namespace almanac::catalog {

/// Returns the lowercase hex SHA-256 of `token` (64 characters).
std::string token_hash(const std::string& token);

/// Returns a new random token: 32 bytes from OpenSSL's RAND_bytes as 64 hex
/// digits.
caf::expected<std::string> new_token();

/// Returns a new random token id, "tok-" and 16 hex digits (not secret: it
/// names the token in listings and revocations).
caf::expected<std::string> new_token_id();

} // namespace almanac::catalog
