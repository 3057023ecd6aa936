#pragma once

// The route table: path patterns with {placeholders}, per-route minimum role,
// JSON body parsing, and the uniform 401/403/404/405/400 answers.

#include "actors/http/auth.hpp"
#include "actors/http/message.hpp"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace almanac::http {

/// How a route treats its request body.
enum class body_kind {
  json, ///< A non-empty body must be valid JSON (400 otherwise).
  raw   ///< The route reads `request::body` itself (e.g. JSON lines).
};

/// Handles a matched, authorized request and returns at once. It runs on a
/// gateway handler thread: it may read projections, never wait on an actor.
using handler = std::function<response(request&, const principal&)>;

/// Handles a matched, authorized request asynchronously: it starts the work
/// (e.g. runtime::ask_then) and returns; the answer goes to the responder
/// when the work completes. `request` stays valid until the answer is sent.
using async_handler = std::function<void(request&, const principal&, responder)>;

/// One route: `fn` or `async` is set.
struct route {
  std::string method;           ///< "GET", "POST", "PUT", "PATCH", "DELETE".
  std::string pattern;          ///< e.g. "/api/v1/admin/actors/{name}/restart".
  std::optional<role> min_role; ///< nullopt: no authentication (e.g. /health).
  handler fn;
  body_kind body = body_kind::json;
  async_handler async = nullptr;
};

/// Wraps `fn` so that calling it twice is harmless and never calling it
/// answers 500 (when the last copy is destroyed).
responder once(responder fn);

/// Splits a raw path into percent-decoded segments.
std::vector<std::string> split_path(const std::string& raw_path);

/// Decodes %XX escapes (and '+' when `plus_is_space`).
std::string percent_decode(const std::string& text, bool plus_is_space = false);

/// Parses a raw query string ("a=1&b=x%20y", without the '?') into decoded
/// parameters ('+' is a space); a repeated name keeps its last value.
std::map<std::string, std::string> parse_query(const std::string& raw);

/// Dispatches requests to routes. Thread-safe once built.
class router {
public:
  /// Adds a route.
  void add(route r);

  /// Adds an asynchronous route.
  void add_async(std::string method, std::string pattern,
                 std::optional<role> min_role, async_handler fn,
                 body_kind body = body_kind::json);

  /// Answers `req` through `reply`: 404 for unknown paths, 405 (with Allow)
  /// for a known path with another method, 401/403 for missing credentials
  /// or role, 400 for a path, query or body that is not UTF-8, JSON nested
  /// deeper than max_json_depth or malformed; else the route's handler.
  /// Exceptions from handlers become 500 answers.
  void dispatch(std::shared_ptr<request> req, const token_table& tokens,
                responder reply) const;

  /// Sets a check every authorized request other than GET passes before its
  /// handler: an answer from it is sent instead (a standby's read_only).
  void set_write_guard(std::function<std::optional<response>(const request&)> guard) {
    write_guard_ = std::move(guard);
  }

  /// True if `req` matches a route that answers without authentication
  /// (served on the I/O thread: /health must answer under any load).
  bool is_public(const request& req) const;

private:
  std::vector<route> routes_;
  std::function<std::optional<response>(const request&)> write_guard_;
};

} // namespace almanac::http
