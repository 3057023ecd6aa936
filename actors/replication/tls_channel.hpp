#pragma once

// The replication connection: TCP with TLS 1.3, authenticated by a
// pre-shared key derived from the replication secret (ALMANAC_HA_SECRET or
// ha.secret_file). Both ends prove they hold the secret without sending it;
// a peer with another secret fails the handshake. No certificates to
// manage. Every byte is encrypted and authenticated by TLS, and every
// message carries its own CRC besides (wire.hpp), so a flipped bit drops
// the connection and nothing corrupt is written.
//
// Non-blocking: one thread drives a channel with pump(), which writes what
// is queued and reads what arrived, and wakes early when `wake` (an eventfd
// the thread's owner signals) becomes readable.
//
// Why not CAF's middleman (caf_io, caf_openssl): it would put the log's
// actors on the network, with certificates to distribute, and it frames
// messages with CAF's serializer rather than the log's own byte-exact
// frames. A socket with OpenSSL is a few hundred lines, ships the segment
// bytes as they are, and its lag in bytes is exact.

#include "actors/replication/wire.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

namespace almanac::replication {

/// The TLS settings of one node: the key derived from the secret.
class tls_context {
public:
  /// Derives the key; ec::invalid_argument if `secret` is shorter than 16
  /// bytes.
  static caf::expected<std::shared_ptr<tls_context>>
  make(const std::string& secret, bool server);

  ~tls_context();

  SSL_CTX* native() const {
    return ctx_;
  }

  /// The pre-shared key (32 bytes).
  const std::string& key() const {
    return key_;
  }

private:
  tls_context() = default;
  SSL_CTX* ctx_ = nullptr;
  std::string key_;
};

/// One authenticated, encrypted connection.
class tls_channel {
public:
  /// Connects to host:port and completes the handshake within `timeout`.
  /// ec::unavailable naming the peer and the reason (refused, timed out,
  /// handshake failed: a wrong secret).
  static caf::expected<std::unique_ptr<tls_channel>>
  connect(std::shared_ptr<tls_context> ctx, const std::string& host,
          uint16_t port, std::chrono::milliseconds timeout);

  /// Completes the server side of the handshake on an accepted socket.
  static caf::expected<std::unique_ptr<tls_channel>>
  accept(std::shared_ptr<tls_context> ctx, int fd, std::string peer,
         std::chrono::milliseconds timeout);

  ~tls_channel();

  tls_channel(const tls_channel&) = delete;
  tls_channel& operator=(const tls_channel&) = delete;

  /// "host:port" of the other end.
  const std::string& peer() const {
    return peer_;
  }

  /// Queues a message for sending.
  void send(const message& x);

  /// Bytes queued and not yet written.
  size_t pending_output() const {
    return out_.size() - out_pos_;
  }

  /// Writes what it can, reads what arrived, waits up to `timeout` for
  /// either (or for `wake`, an fd, to become readable; -1 for none). An
  /// error (the peer closed, a TLS failure, a corrupt message) ends the
  /// channel: ec::unavailable or ec::corrupt_data naming the peer.
  caf::error pump(std::chrono::milliseconds timeout, int wake = -1);

  /// Takes the next complete message that arrived, if any.
  caf::expected<std::optional<message>> next();

  /// Writes everything queued, waiting up to `timeout`.
  caf::error flush(std::chrono::milliseconds timeout);

  /// Bytes received and sent so far (TLS payload).
  uint64_t bytes_in() const {
    return bytes_in_;
  }

  uint64_t bytes_out() const {
    return bytes_out_;
  }

private:
  tls_channel(std::shared_ptr<tls_context> ctx, int fd, std::string peer);
  caf::error handshake(bool client, std::chrono::milliseconds timeout);
  caf::error pump_io(std::chrono::milliseconds timeout, int wake);
  /// Whether next() has a whole message (or a damaged header) to take.
  bool has_message() const;
  caf::error failed(const std::string& what);

  std::shared_ptr<tls_context> ctx_;
  int fd_ = -1;
  SSL* ssl_ = nullptr;
  std::string peer_;
  std::string out_;
  size_t out_pos_ = 0;
  std::string in_;
  /// The end of the connection, held back while messages that arrived
  /// before it are still to be taken (a peer's `refused`, then its close).
  caf::error closed_;
  uint64_t bytes_in_ = 0;
  uint64_t bytes_out_ = 0;
};

/// A listening socket for standbys.
class tls_listener {
public:
  /// Binds host:port (port 0: any); ec::io_error naming the address.
  static caf::expected<std::unique_ptr<tls_listener>>
  open(std::shared_ptr<tls_context> ctx, const std::string& host, uint16_t port);

  ~tls_listener();

  uint16_t port() const {
    return port_;
  }

  /// Waits up to `timeout` (or until `wake` is readable) for a connection
  /// and completes its handshake. nullptr if none came; ec::unavailable if
  /// one came and failed its handshake (a wrong secret), naming the peer.
  caf::expected<std::unique_ptr<tls_channel>>
  accept(std::chrono::milliseconds timeout, int wake = -1);

  /// A TCP connection accepted and not yet authenticated.
  struct pending {
    int fd = -1;
    std::string peer;
  };

  /// Waits like accept() but leaves the handshake to the caller
  /// (tls_channel::accept), so that a slow or silent peer holds only its
  /// own thread. fd -1 if none came.
  pending accept_socket(std::chrono::milliseconds timeout, int wake = -1);

  std::shared_ptr<tls_context> context() const {
    return ctx_;
  }

private:
  tls_listener() = default;
  std::shared_ptr<tls_context> ctx_;
  int fd_ = -1;
  uint16_t port_ = 0;
};

} // namespace almanac::replication
