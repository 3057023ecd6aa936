#pragma once

// What the `almanac` command groups share: the context built from the global
// options, one API call that reports failures, and the small text helpers.

#include "node/cli/http_client.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <functional>
#include <string>

namespace almanac::cli {

using json = nlohmann::json;

/// The global options every command reads, and the exit code it sets.
struct cli_context {
  std::string server = "http://127.0.0.1:8080"; ///< --server / ALMANAC_SERVER.
  std::string token;                            ///< --token / ALMANAC_TOKEN.
  int rc = 0; ///< The process exit code, set by the command that ran.
};

/// Prints a failed call's error and returns the exit code: 3 unreachable,
/// 4 unauthorized or forbidden, 1 otherwise.
int report(const http_result& r, const std::string& server);

/// Calls `method ctx.server+path` with the context's token and, unless null,
/// `body` as JSON. On a 2xx passes the parsed reply to `on_ok` and returns 0;
/// otherwise reports the failure and returns its exit code.
int call_api(const cli_context& ctx, const std::string& method,
             const std::string& path,
             const std::function<void(const json&)>& on_ok,
             const json& body = nullptr, const std::string& if_match = {});

/// Pads `s` with spaces to `n` characters (at least one space follows it).
std::string pad(const std::string& s, size_t n);

/// Percent-encodes a path segment (a URN becomes one segment).
std::string encode_segment(const std::string& s);

/// Splits "a,b,c" into a JSON array of strings ("" -> []).
json split_list(const std::string& s);

} // namespace almanac::cli
