#pragma once

// What a source's connection may hold: the rules the sources API applies
// before anything reaches the event log, and that are checked again before a
// stored connection is used (a log may predate a rule). Pure functions.
//
// attributes.connection of a source entity:
//   {"kind": "postgresql" | "sqlite",
//    "dsn": "...",               // postgresql: libpq string, never a password
//    "path": "...",              // sqlite: the database file
//    "password_env": "VAR",      // a variable of the node, not ALMANAC_*
//    "password_ref": "source:<name>",  // the source's own secret, only
//    "compose": {"allow_privileged": true},  // optional
//    "database": "...",          // optional: the database its queries run in
//                                // (default: the dsn's dbname)
//    "search_path": "\"$user\", public"}  // optional: for one-part names

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace almanac::sources {

/// The name of source `source`'s password in the secrets file.
std::string secret_name(const std::string& source);

/// Checks that `var` may hold a source password: an environment variable
/// name that is not Almanac's own (ALMANAC_*, such as ALMANAC_ADMIN_TOKEN).
/// ec::invalid_argument saying why.
caf::error check_password_env(const std::string& var);

/// Checks that `ref` is source `source`'s own secret (ec::forbidden if not).
caf::error check_password_ref(const std::string& source, const std::string& ref);

/// Validates a body of POST (`partial` false) or PATCH /api/v1/sources over
/// the current connection `base`: fields name, kind, dsn, path, password,
/// password_env, description, database, search_path (strings) and compose
/// ({"allow_privileged": bool}). Returns the new connection; `password`, if the body has one,
/// receives it (the caller stores it and sets password_ref). The dsn is
/// checked by its connector (connectors::check_config): a password in it is
/// ec::invalid_argument.
caf::expected<nlohmann::json> connection_from(const nlohmann::json& body, bool partial,
                                              nlohmann::json base,
                                              std::optional<std::string>& password);

/// Whether Compose may run on the source's role even if it is privileged
/// (superuser, server files and programs, signalling): compose.allow_privileged.
bool compose_allows_privileged(const nlohmann::json& connection);

} // namespace almanac::sources
