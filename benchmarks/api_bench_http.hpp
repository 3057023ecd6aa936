#pragma once

// A small blocking HTTP/1.1 client over one keep-alive loopback connection,
// and a child almanacd for api_bench. Just enough HTTP for the JSON API:
// Content-Length and chunked bodies, reconnect after the server closes.

#include <cstdint>
#include <string>
#include <vector>
#include <sys/types.h>

namespace api_bench {

/// A free TCP port on 127.0.0.1.
uint16_t free_port();

/// One keep-alive connection to 127.0.0.1:port. Not thread-safe: one per
/// client thread.
class http_conn {
public:
  http_conn(uint16_t port, std::string token);
  ~http_conn();
  http_conn(const http_conn&) = delete;
  http_conn& operator=(const http_conn&) = delete;

  /// Sends one request and reads the answer into `body`. Returns the HTTP
  /// status, or -1 if the connection failed (it reconnects on the next call).
  int request(const char* method, const std::string& path,
              const std::string& json_body, std::string& body);

  void close();

private:
  bool connect();
  bool fill(); // reads more bytes into in_; false at EOF or error
  bool read_line(std::string& line);
  bool read_exact(size_t n, std::string& out);

  uint16_t port_;
  std::string token_;
  int fd_ = -1;
  std::string in_;
  size_t pos_ = 0;
};

/// An almanacd child process with its own data directory and port.
class node {
public:
  /// Starts `binary` and waits (up to 20 s) until /health answers ok.
  /// Exits the benchmark with a message on failure.
  node(const std::string& binary, const std::string& data_dir,
       const std::string& token);
  /// The same with more flags and ALMANAC_* variables ("NAME=value"), on
  /// `port` (0: a free one).
  node(const std::string& binary, const std::string& data_dir,
       const std::string& token, const std::vector<std::string>& flags,
       const std::vector<std::string>& env, uint16_t port = 0);
  /// Stops it with SIGTERM (SIGKILL after 15 s).
  ~node();

  uint16_t port() const {
    return port_;
  }

  /// SIGKILLs the process and reaps it (a crash, for failover).
  void kill_now();

private:
  pid_t pid_ = -1;
  uint16_t port_ = 0;
};

/// Prints "api_bench: <what>" to stderr and exits 1.
[[noreturn]] void die(const std::string& what);

/// Percent-encodes a URN made of letters, digits, '.', '_' and ':' as one
/// URL path segment.
std::string encode_urn(const std::string& urn);

} // namespace api_bench
