#pragma once

// The one conversion from a request Beast parsed to the request routes see:
// the gateway's connections and the HTTP fuzzer (fuzz/http_fuzz.cpp) share it.

#include "actors/http/message.hpp"

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <memory>

namespace almanac::http {

/// A request as Beast's parser produces it.
using beast_request = boost::beast::http::request<boost::beast::http::string_body>;

/// Moves `msg` into a request: method, raw path, decoded path segments and
/// query parameters, lowercase header names (the values of a repeated field
/// joined with ", ") and the body.
std::shared_ptr<request> to_request(beast_request&& msg);

} // namespace almanac::http
