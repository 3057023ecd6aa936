#pragma once

// Internal to the PostgreSQL connector: connection strings, error mapping and
// value conversion. Pure functions, testable without a server.

#include <caf/error.hpp>

#include <nlohmann/json.hpp>

#include <exception>
#include <string>

namespace pqxx {
class sql_error;
} // namespace pqxx

namespace almanac::connectors::pg {

/// The SQLSTATE of `e`. libpqxx 6.4 drops it for the errors it throws as
/// their own classes (insufficient_privilege, syntax_error, ...): then the
/// class's code ("42501", "42601", ...).
std::string sqlstate_of(const pqxx::sql_error& e);

/// Where a source is, for messages: "host=H port=P dbname=D user=U" from the
/// dsn, without any password (a password in the dsn is dropped).
std::string describe_target(const std::string& dsn);

/// The conninfo handed to libpq: the dsn's parameters except `password`, then
/// `password='...'` (quoted) when `password` is not empty, and
/// `connect_timeout=10` unless the dsn sets one. ec::invalid_argument (naming
/// no password) if the dsn does not parse.
caf::error make_conninfo(const std::string& dsn, const std::string& password,
                         std::string& out);

/// Checks a dsn that is to be stored (the event log is readable by every
/// viewer): it must parse as a libpq connection string and must not set
/// `password` or `sslpassword` — not as a key/value pair, not as a URI's
/// user:password@ or ?password= (percent-encoded names included). Decided
/// by libpq's own parser. ec::invalid_argument naming the problem, never
/// echoing the dsn.
caf::error check_dsn(const std::string& dsn);

/// What the error mapping needs to know about the failed operation.
struct error_context {
  std::string target;           ///< describe_target() of the source.
  std::string password;         ///< Scrubbed from every message.
  const char* what = "query";   ///< "connect", "extract", "query", "query log".
  bool cancelled = false;       ///< cancel() was called during the operation.
  long long timeout_ms = 0;     ///< The statement timeout in force, if any.
};

/// Maps an exception thrown by libpqxx to an Almanac error (call inside a
/// catch block with std::current_exception()):
/// - connection failures: ec::unauthenticated for a wrong or missing
///   password or unknown role, ec::unavailable otherwise (both naming the target);
/// - SQLSTATE 57014: ec::cancelled when ctx.cancelled, else ec::timeout;
/// - 25006 (read-only transaction): ec::forbidden naming read-only mode;
/// - 42501 and 28xxx: ec::forbidden; 08xxx, 57P0x, 53xxx: ec::unavailable;
/// - any other SQL error: ec::invalid_argument with the server's message.
caf::error map_exception(std::exception_ptr ep, const error_context& ctx);

/// Converts one result value in text form to JSON by its type OID: integer
/// types to integers, numeric and floats to numbers (NaN and infinities stay
/// strings), bool to bool, everything else to a string.
nlohmann::json to_json_value(unsigned oid, const char* text, std::size_t size);

/// Collapses libpq's multi-line messages into one line and removes `secret`.
std::string clean_message(std::string msg, const std::string& secret);

} // namespace almanac::connectors::pg
