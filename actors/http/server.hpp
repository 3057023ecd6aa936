#pragma once

// The HTTP listener (cpprestsdk behind a pimpl, so only server.cpp pays for
// its headers). Converts requests to http::request, enforces the body limit
// (413), dispatches through the router and writes the answer back.

#include "actors/http/router.hpp"
#include "runtime/actor_registry.hpp"

#include <caf/error.hpp>

#include <cstdint>
#include <memory>
#include <string>

namespace almanac::http {

/// An HTTP listener bound to one host and port.
class server {
public:
  server(std::string host, uint16_t port, std::shared_ptr<const router> routes,
         const token_table* tokens, size_t max_body_bytes,
         std::shared_ptr<runtime::actor_metrics> metrics);
  ~server();

  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Starts listening; fails with io_error naming the endpoint.
  caf::error open();

  /// Stops listening and waits for requests in flight.
  void close();

  /// The base URL, e.g. "http://127.0.0.1:8080".
  std::string url() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace almanac::http
