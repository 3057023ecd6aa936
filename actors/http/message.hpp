#pragma once

// Plain HTTP request/response values: the gateway converts Beast's types to
// and from these, so routes and their tests never see cpprest.

#include <nlohmann/json.hpp>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <functional>
#include <map>
#include <memory>
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
  /// Runs a continuation on the gateway's handler threads: for work that
  /// may block on a store (a read after an actor answered) and so must not
  /// run on an actor thread. Empty outside the server (then run inline).
  std::function<void(std::function<void()>)> resume;

  /// Returns a header or `fallback`.
  std::string header(const std::string& name,
                     const std::string& fallback = {}) const;
};

/// The body of a streaming response (server-sent events), written a chunk at
/// a time without holding a thread. Thread-safe.
class stream_sink {
public:
  virtual ~stream_sink() = default;

  /// Sends `chunk`; `done(true)` runs once it was written, `done(false)` once
  /// the client has gone or the server stops (write no more then). `done`
  /// runs on a gateway thread and must not block.
  virtual void write(std::string chunk, std::function<void(bool)> done) = 0;

  /// Ends the body; the connection closes.
  virtual void close() = 0;
};

/// A response. A `stream` function, when set, is called once the headers
/// were sent and produces the body over time through the sink.
struct response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::map<std::string, std::string> headers;
  std::function<void(std::shared_ptr<stream_sink>)> stream;
  /// Runs once the response has been sent, on a thread of its own (e.g.
  /// restarting the gateway that carries this very response).
  std::function<void()> after;
};

/// Delivers the answer to one request, from any thread. Call it once; a
/// responder dropped without an answer sends 500, so no request hangs.
using responder = std::function<void(response)>;

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
