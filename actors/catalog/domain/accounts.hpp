#pragma once

// Users and API tokens as commands (admin only; the caller checks the role).
// Configuration that must be the same on primary and standby, so these are
// events in the log like everything else.
//
// Event payloads (the record key is the URN of the user concerned,
// "urn:almanac:user:<name>"):
//
// UserCreated@1
//   {"user": "root",           // the admin who created the user
//    "name": "alice",          // the new user
//    "role": "steward"}        // viewer | steward | admin
//
// TokenIssued@1
//   {"user": "root",           // the admin who issued the token
//    "owner": "alice",         // whom the token authenticates
//    "token_id": "tok-0123456789abcdef",
//    "role": "viewer",         // at most the owner's role
//    "token_sha256": "<64 lowercase hex digits>"}
//   The plain token appears in no event; only the reply carries it, once.
//
// TokenRevoked@1
//   {"user": "root", "owner": "alice", "token_id": "tok-..."}

#include "actors/catalog/domain/commands.hpp"
#include "actors/catalog/domain/state_view.hpp"

#include <caf/expected.hpp>

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace almanac::catalog {

/// Validates `POST /api/v1/users` with {"user": name, "role": role} (both
/// required) and issues the user's first token. Events: UserCreated,
/// TokenIssued. Reply: {"user", "role", "token_id", "token"} — the plain
/// token, to be shown once. An existing user is a conflict.
caf::expected<command_result<token_reply>> create_user(const nlohmann::json& body,
                                          const std::string& admin,
                                          const state_view& state);

/// Validates `POST /api/v1/tokens` with {"user": name, "role": role}; the
/// role defaults to the user's and may not exceed it. Events: TokenIssued.
/// Reply: {"user", "role", "token_id", "token"}.
caf::expected<command_result<token_reply>> issue_token(const nlohmann::json& body,
                                          const std::string& admin,
                                          const state_view& state);

/// Validates revoking the token `token_id` (not_found if unknown). Events:
/// TokenRevoked, or none if it was revoked already. Reply: {"token_id",
/// "owner", "revoked": true, "changed"}.
caf::expected<command_result<revoke_reply>> revoke_token(const std::string& token_id,
                                           const std::string& admin,
                                           const state_view& state);

} // namespace almanac::catalog
