#pragma once

// The HTTP listener, on Boost.Beast behind a pimpl (only server.cpp pays for
// its headers). Asynchronous end to end: a few I/O threads read requests
// with size caps and deadlines before anything else, a small handler pool
// runs the routes, and no thread ever waits on an actor, a body or a client.
//
// Why not cpprest's listener (milestone 1): it serves every request on one
// shared pool of 40 threads that also runs its own I/O continuations, reads
// headers into an unbounded buffer (64 MB were read before authentication),
// and has no connection or per-client limits; 41 blocked requests deadlocked
// it for good. Beast gives header and body limits on the parser, deadlines
// on the stream, and TLS on the same code path.

#include "actors/http/router.hpp"
#include "runtime/actor_registry.hpp"

#include <caf/error.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace almanac::http {

/// What one listener accepts before it answers 4xx/503 (http.* settings).
struct server_limits {
  size_t max_body_bytes = 1 << 20;      ///< Larger bodies: 413.
  size_t max_header_bytes = 16 * 1024;  ///< Request line + headers: 431.
  size_t max_header_count = 100;        ///< Header fields: 431.
  std::chrono::milliseconds header_timeout{10000}; ///< Headers (and idle keep-alive): 408/close.
  std::chrono::milliseconds body_timeout{30000};   ///< The whole body: 408.
  std::chrono::milliseconds write_timeout{30000};  ///< A client that stops reading.
  size_t max_connections = 4096;          ///< Open connections in total: 503.
  size_t max_connections_per_client = 1024;///< Open connections of one address: 503.
  size_t max_in_flight = 1024;          ///< Requests being answered in total: 503.
  size_t max_in_flight_per_client = 512;///< Requests being answered for one address: 503.
  size_t max_streams = 512;             ///< Open event streams (SSE): 503.
  unsigned io_threads = 2;              ///< Threads reading and writing sockets.
  unsigned handler_threads = 4;         ///< Threads running route handlers.
  std::string tls_cert;                 ///< PEM certificate chain; empty: plain HTTP.
  std::string tls_key;                  ///< PEM private key of tls_cert.
};

/// Counters of one listener (for /metrics and tests).
struct server_stats {
  uint64_t connections = 0;   ///< Open now.
  uint64_t in_flight = 0;     ///< Requests being answered now.
  uint64_t streams = 0;       ///< Event streams open now.
  uint64_t rejected = 0;      ///< 503s for a limit since the start.
};

/// An HTTP listener bound to one host and port.
class server {
public:
  server(std::string host, uint16_t port, std::shared_ptr<const router> routes,
         const token_table* tokens, server_limits limits,
         std::shared_ptr<runtime::actor_metrics> metrics);
  ~server();

  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Starts listening; fails with io_error naming the endpoint (or the TLS
  /// file that cannot be loaded).
  caf::error open();

  /// Stops listening, ends every connection and stream, and joins the
  /// threads; returns within about a second whatever clients do.
  void close();

  /// The base URL, e.g. "http://127.0.0.1:8080" ("https://" with TLS).
  std::string url() const;

  /// The counters now.
  server_stats stats() const;

  /// Opaque (server.cpp): shared with the connections it serves.
  struct impl;

private:
  std::shared_ptr<impl> impl_;
};

} // namespace almanac::http
