#pragma once

// The route table: path patterns with {placeholders}, per-route minimum role,
// JSON body parsing, and the uniform 401/403/404/405/400 answers.

#include "actors/http/auth.hpp"
#include "actors/http/message.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace almanac::http {

/// How a route treats its request body.
enum class body_kind {
  json, ///< A non-empty body must be valid JSON (400 otherwise).
  raw   ///< The route reads `request::body` itself (e.g. JSON lines).
};

/// Handles a matched, authorized request.
using handler = std::function<response(request&, const principal&)>;

/// One route.
struct route {
  std::string method;           ///< "GET", "POST", "PUT", "PATCH", "DELETE".
  std::string pattern;          ///< e.g. "/api/v1/admin/actors/{name}/restart".
  std::optional<role> min_role; ///< nullopt: no authentication (e.g. /health).
  handler fn;
  body_kind body = body_kind::json;
};

/// Splits a raw path into percent-decoded segments.
std::vector<std::string> split_path(const std::string& raw_path);

/// Decodes %XX escapes (and '+' when `plus_is_space`).
std::string percent_decode(const std::string& text, bool plus_is_space = false);

/// Dispatches requests to routes. Thread-safe once built.
class router {
public:
  /// Adds a route.
  void add(route r);

  /// Answers `req`: 404 for unknown paths, 405 (with Allow) for a known path
  /// with another method, 401/403 for missing credentials or role, 400 for a
  /// malformed JSON body; else the route's handler.
  response dispatch(request& req, const token_table& tokens) const;

private:
  std::vector<route> routes_;
};

} // namespace almanac::http
