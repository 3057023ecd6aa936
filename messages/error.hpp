#pragma once

// The project's one error enum. Every fallible function returns caf::error or
// caf::expected<T>; the HTTP gateway maps codes to status codes in one table
// (http_status() below). Numbers are pinned: never reuse or renumber a code.

#include <caf/error.hpp>
#include <caf/make_message.hpp>

#include <cstdint>
#include <string>

namespace almanac {

/// The category atom of every Almanac error.
constexpr caf::atom_value error_category = caf::atom("almanac");

enum class ec : uint8_t {
  /// Catch-all for failures without a better code.
  unspecified = 1,
  /// A configuration key or value is invalid; the context names both.
  invalid_config = 2,
  /// An argument or request field is invalid (HTTP 422).
  invalid_argument = 3,
  /// A request body is not well-formed (malformed JSON, wrong types: HTTP 400).
  bad_request = 4,
  /// No such entity, route, actor or record (HTTP 404).
  not_found = 5,
  /// The caller gave no valid credentials (HTTP 401).
  unauthenticated = 6,
  /// The caller is authenticated but lacks the role (HTTP 403).
  forbidden = 7,
  /// The route exists but not for this method (HTTP 405).
  method_not_allowed = 8,
  /// The request body exceeds the configured limit (HTTP 413).
  payload_too_large = 9,
  /// A version precondition failed (If-Match, entity version: HTTP 409).
  conflict = 10,
  /// A file or device operation failed; the context names the path.
  io_error = 11,
  /// Stored data failed its checksum or framing check; context names where.
  corrupt_data = 12,
  /// The data directory is locked by another process.
  locked = 13,
  /// A supervisor exceeded its restart intensity and gave up.
  escalated = 14,
  /// An actor was made to fail on purpose (fault injection).
  fault_injected = 15,
  /// The component is not ready or is shutting down (HTTP 503).
  unavailable = 16,
  /// A deadline passed before the operation finished (HTTP 504).
  timeout = 17,
  /// The on-disk format has a version this build does not understand.
  unsupported_version = 18,
  /// The operation was cancelled by a user.
  cancelled = 19,
  /// The disk holding the log or a store is full (ENOSPC, EDQUOT): nothing
  /// was written; writes succeed again once space is freed (HTTP 507).
  storage_full = 20,
  /// This node is a standby: writes go to the primary, which the context
  /// names (HTTP 503).
  read_only = 21,
};

/// Returns the stable, snake_case name of `x`.
const char* to_string(ec x);

/// Creates an Almanac error with a human-readable context message.
caf::error make_error(ec code, std::string context = {});

/// Returns the Almanac code of `err`, or `ec::unspecified` for foreign errors.
ec code_of(const caf::error& err);

/// True if `err` is an Almanac error with code `x`.
inline bool has_code(const caf::error& err, ec x) {
  return err && err.category() == error_category && code_of(err) == x;
}

/// Returns the context message of an Almanac error (empty if none).
std::string message_of(const caf::error& err);

/// Renders any error as "code: message" without needing an actor system.
std::string render(const caf::error& err);

/// Maps an error to the HTTP status code the gateway answers with.
int http_status(const caf::error& err);

} // namespace almanac
