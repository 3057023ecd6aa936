#pragma once

// A minimal blocking HTTP client for the `almanac` CLI (cpprest behind it).

#include <string>

namespace almanac::cli {

/// The outcome of one call: status 0 means the server could not be reached.
struct http_result {
  int status = 0;
  std::string body;
  std::string error; ///< Transport error (connection refused, ...).
};

/// Performs `method url` with an optional bearer token and JSON body.
http_result call(const std::string& method, const std::string& url,
                 const std::string& token, const std::string& body = {},
                 const std::string& if_match = {});

} // namespace almanac::cli
