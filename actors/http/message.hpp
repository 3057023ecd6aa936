#pragma once

// Plain HTTP request/response values: the gateway converts cpprest's types to
// and from these, so routes and their tests never see cpprest.

#include <nlohmann/json.hpp>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace almanac::http {

/// A request as routes see it. Header names are lowercase.
struct request {
  std::string method;                        ///< "GET", "POST", ...
  std::string path;                          ///< Raw (still encoded) path.
  std::vector<std::string> segments;         ///< Decoded path segments.
  std::map<std::string, std::string> query;  ///< Decoded query parameters.
  std::map<std::string, std::string> headers;
  std::string body;
  nlohmann::json json;                       ///< Parsed body (if JSON).
  std::map<std::string, std::string> params; ///< Captured {placeholders}.

  /// Returns a header or `fallback`.
  std::string header(const std::string& name,
                     const std::string& fallback = {}) const;
};

/// Writes chunks of a streaming response; returns false once the client left.
using chunk_writer = std::function<bool(const std::string&)>;

/// A response. A `stream` function, when set, produces the body over time.
struct response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::map<std::string, std::string> headers;
  std::function<void(const chunk_writer&)> stream;
  /// Runs once the response has been sent (e.g. restarting the gateway that
  /// carries this very response).
  std::function<void()> after;
};

/// The non-negative integer query parameter `name`: `fallback` when absent,
/// ec::bad_request naming it when not a number, ec::invalid_argument when
/// above `max`.
caf::expected<uint64_t> query_uint(const request& req, const std::string& name,
                                   uint64_t fallback, uint64_t max);

/// A JSON response.
response json_response(int status, const nlohmann::json& body);

/// The one error shape: {"error":{"code":..., "message":...}}.
response error_response(int status, const std::string& code,
                        const std::string& message);

/// An error response for an Almanac error, with the status from one table.
response error_response(const caf::error& err);

} // namespace almanac::http
