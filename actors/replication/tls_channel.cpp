#include "actors/replication/tls_channel.hpp"

#include "messages/error.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/ssl.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace almanac::replication {

namespace {

using clock_type = std::chrono::steady_clock;

constexpr const char* psk_identity = "almanac-replication";
constexpr const char* psk_label = "almanac replication psk v1";

std::string ssl_errors() {
  std::string out;
  while (auto code = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    if (!out.empty())
      out += "; ";
    out += buf;
  }
  return out.empty() ? std::string{"no details"} : out;
}

const tls_context* context_of(SSL* ssl) {
  return static_cast<const tls_context*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
}

unsigned int client_psk(SSL* ssl, const char*, char* identity,
                        unsigned int max_identity, unsigned char* psk,
                        unsigned int max_psk) {
  auto& key = context_of(ssl)->key();
  if (std::strlen(psk_identity) + 1 > max_identity || key.size() > max_psk)
    return 0;
  std::strcpy(identity, psk_identity);
  std::memcpy(psk, key.data(), key.size());
  return static_cast<unsigned int>(key.size());
}

unsigned int server_psk(SSL* ssl, const char* identity, unsigned char* psk,
                        unsigned int max_psk) {
  auto& key = context_of(ssl)->key();
  if (!identity || std::strcmp(identity, psk_identity) != 0
      || key.size() > max_psk)
    return 0;
  std::memcpy(psk, key.data(), key.size());
  return static_cast<unsigned int>(key.size());
}

void set_nonblocking(int fd) {
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/// Waits for `events` on fd (and POLLIN on wake); returns the revents of fd.
int wait_for(int fd, short events, std::chrono::milliseconds timeout,
             int wake = -1) {
  pollfd fds[2] = {{fd, events, 0}, {wake, POLLIN, 0}};
  int n = ::poll(fds, wake >= 0 ? 2 : 1, static_cast<int>(timeout.count()));
  return n > 0 ? fds[0].revents : 0;
}

std::chrono::milliseconds left(clock_type::time_point deadline) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
    deadline - clock_type::now());
  return std::max(ms, std::chrono::milliseconds{0});
}

} // namespace

// -- context ------------------------------------------------------------------

caf::expected<std::shared_ptr<tls_context>>
tls_context::make(const std::string& secret, bool server) {
  if (secret.size() < 16)
    return make_error(ec::invalid_argument,
                      "the replication secret must have at least 16 bytes");
  std::shared_ptr<tls_context> result{new tls_context};
  unsigned char key[EVP_MAX_MD_SIZE];
  unsigned int key_len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(psk_label), std::strlen(psk_label),
       key, &key_len);
  result->key_.assign(reinterpret_cast<char*>(key), key_len);
  result->ctx_ = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
  if (!result->ctx_)
    return make_error(ec::unspecified, "cannot create a TLS context: " + ssl_errors());
  auto ctx = result->ctx_;
  SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
  SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256");
  SSL_CTX_set_app_data(ctx, result.get());
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE
                          | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (server) {
    SSL_CTX_set_psk_server_callback(ctx, server_psk);
    SSL_CTX_set_num_tickets(ctx, 0);
  } else {
    SSL_CTX_set_psk_client_callback(ctx, client_psk);
  }
  return result;
}

tls_context::~tls_context() {
  if (ctx_)
    SSL_CTX_free(ctx_);
}

// -- channel ------------------------------------------------------------------

tls_channel::tls_channel(std::shared_ptr<tls_context> ctx, int fd,
                         std::string peer)
  : ctx_(std::move(ctx)), fd_(fd), peer_(std::move(peer)) {
  ssl_ = SSL_new(ctx_->native());
  if (ssl_)
    SSL_set_fd(ssl_, fd_);
}

tls_channel::~tls_channel() {
  if (ssl_) {
    SSL_shutdown(ssl_);
    SSL_free(ssl_);
  }
  if (fd_ >= 0)
    ::close(fd_);
}

caf::error tls_channel::failed(const std::string& what) {
  return make_error(ec::unavailable, "replication peer " + peer_ + ": " + what);
}

caf::error tls_channel::handshake(bool client, std::chrono::milliseconds timeout) {
  if (!ssl_)
    return failed("cannot create a TLS session: " + ssl_errors());
  auto deadline = clock_type::now() + timeout;
  for (;;) {
    ERR_clear_error();
    int rc = client ? SSL_connect(ssl_) : SSL_accept(ssl_);
    if (rc == 1)
      return caf::none;
    int err = SSL_get_error(ssl_, rc);
    short events = err == SSL_ERROR_WANT_READ    ? POLLIN
                   : err == SSL_ERROR_WANT_WRITE ? POLLOUT
                                                 : 0;
    if (events == 0)
      return failed("TLS handshake failed (a different replication secret?): "
                    + ssl_errors());
    if (left(deadline).count() == 0
        || wait_for(fd_, events, left(deadline)) == 0)
      if (left(deadline).count() == 0)
        return failed("TLS handshake timed out");
  }
}

caf::expected<std::unique_ptr<tls_channel>>
tls_channel::connect(std::shared_ptr<tls_context> ctx, const std::string& host,
                     uint16_t port, std::chrono::milliseconds timeout) {
  auto peer = host + ":" + std::to_string(port);
  auto fail = [&](const std::string& what) {
    return make_error(ec::unavailable, "replication peer " + peer + ": " + what);
  };
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(),
                             &hints, &res);
      rc != 0)
    return fail(std::string{"cannot resolve: "} + gai_strerror(rc));
  int fd = ::socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    ::freeaddrinfo(res);
    return fail(std::string{"socket: "} + std::strerror(errno));
  }
  set_nonblocking(fd);
  int rc = ::connect(fd, res->ai_addr, res->ai_addrlen);
  ::freeaddrinfo(res);
  auto deadline = clock_type::now() + timeout;
  if (rc != 0 && errno != EINPROGRESS) {
    auto why = std::string{std::strerror(errno)};
    ::close(fd);
    return fail("cannot connect: " + why);
  }
  if (rc != 0) {
    if (wait_for(fd, POLLOUT, left(deadline)) == 0) {
      ::close(fd);
      return fail("connect timed out");
    }
    int so_error = 0;
    socklen_t len = sizeof(so_error);
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
    if (so_error != 0) {
      ::close(fd);
      return fail(std::string{"cannot connect: "} + std::strerror(so_error));
    }
  }
  std::unique_ptr<tls_channel> ch{new tls_channel(std::move(ctx), fd, peer)};
  if (auto err = ch->handshake(true, left(deadline)))
    return err;
  return ch;
}

caf::expected<std::unique_ptr<tls_channel>>
tls_channel::accept(std::shared_ptr<tls_context> ctx, int fd, std::string peer,
                    std::chrono::milliseconds timeout) {
  set_nonblocking(fd);
  std::unique_ptr<tls_channel> ch{new tls_channel(std::move(ctx), fd, std::move(peer))};
  if (auto err = ch->handshake(false, timeout))
    return err;
  return ch;
}

void tls_channel::send(const message& x) {
  if (out_pos_ > 0 && out_pos_ == out_.size()) {
    out_.clear();
    out_pos_ = 0;
  }
  encode(x, out_);
}

caf::error tls_channel::pump(std::chrono::milliseconds timeout, int wake) {
  if (closed_)
    return has_message() ? caf::error{} : closed_;
  auto result = pump_io(timeout, wake);
  if (result && has_message()) {
    closed_ = std::move(result);
    return caf::none;
  }
  return result;
}

caf::error tls_channel::pump_io(std::chrono::milliseconds timeout, int wake) {
  bool progressed = false;
  auto do_io = [&]() -> caf::error {
    while (pending_output() > 0) {
      ERR_clear_error();
      auto chunk = std::min<size_t>(pending_output(), 1u << 20);
      int n = SSL_write(ssl_, out_.data() + out_pos_, static_cast<int>(chunk));
      if (n > 0) {
        out_pos_ += static_cast<size_t>(n);
        bytes_out_ += static_cast<uint64_t>(n);
        progressed = true;
        continue;
      }
      int err = SSL_get_error(ssl_, n);
      if (err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_WANT_READ)
        break;
      return failed("write failed: " + ssl_errors());
    }
    if (out_pos_ == out_.size()) {
      out_.clear();
      out_pos_ = 0;
    } else if (out_pos_ > (8u << 20)) {
      out_.erase(0, out_pos_);
      out_pos_ = 0;
    }
    char buf[64 << 10];
    for (;;) {
      ERR_clear_error();
      int n = SSL_read(ssl_, buf, sizeof(buf));
      if (n > 0) {
        in_.append(buf, static_cast<size_t>(n));
        bytes_in_ += static_cast<uint64_t>(n);
        progressed = true;
        if (in_.size() > max_body_size + 2 * wire_header_size)
          break; // let next() take messages first
        continue;
      }
      int err = SSL_get_error(ssl_, n);
      if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
        break;
      if (err == SSL_ERROR_ZERO_RETURN)
        return failed("closed the connection");
      if (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
        return failed("connection lost");
      return failed("read failed (corrupt or forged TLS record?): "
                    + ssl_errors());
    }
    return caf::none;
  };
  if (auto err = do_io())
    return err;
  if (progressed || timeout.count() == 0)
    return caf::none;
  short events = POLLIN | (pending_output() > 0 ? POLLOUT : 0);
  auto revents = wait_for(fd_, events, timeout, wake);
  if (revents & (POLLERR | POLLNVAL))
    return failed("connection lost");
  if (revents != 0)
    return do_io();
  return caf::none;
}

bool tls_channel::has_message() const {
  if (in_.size() < wire_header_size)
    return false;
  auto h = decode_header(in_.data());
  // A damaged header is a message too: next() reports it.
  return !h || in_.size() >= wire_header_size + h->length;
}

caf::expected<std::optional<message>> tls_channel::next() {
  if (in_.size() < wire_header_size)
    return std::optional<message>{};
  auto h = decode_header(in_.data());
  if (!h)
    return make_error(ec::corrupt_data,
                      "replication peer " + peer_ + ": " + render(h.error()));
  if (in_.size() < wire_header_size + h->length)
    return std::optional<message>{};
  auto body = in_.substr(wire_header_size, h->length);
  in_.erase(0, wire_header_size + h->length);
  auto msg = decode_body(*h, std::move(body));
  if (!msg)
    return make_error(ec::corrupt_data,
                      "replication peer " + peer_ + ": " + render(msg.error()));
  return std::optional<message>{std::move(*msg)};
}

caf::error tls_channel::flush(std::chrono::milliseconds timeout) {
  auto deadline = clock_type::now() + timeout;
  while (pending_output() > 0) {
    if (left(deadline).count() == 0)
      return failed("write timed out");
    if (auto err = pump(std::min(left(deadline), std::chrono::milliseconds{50})))
      return err;
  }
  return caf::none;
}

// -- listener -----------------------------------------------------------------

caf::expected<std::unique_ptr<tls_listener>>
tls_listener::open(std::shared_ptr<tls_context> ctx, const std::string& host,
                   uint16_t port) {
  auto where = host + ":" + std::to_string(port);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  auto h = host == "localhost" || host.empty() ? std::string{"127.0.0.1"} : host;
  if (h == "0.0.0.0")
    addr.sin_addr.s_addr = INADDR_ANY;
  else if (::inet_pton(AF_INET, h.c_str(), &addr.sin_addr) != 1)
    return make_error(ec::invalid_argument,
                      "ha.listen " + where + ": not an IPv4 address");
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return make_error(ec::io_error, "cannot listen on " + where + ": "
                                      + std::strerror(errno));
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0
      || ::listen(fd, 16) != 0) {
    auto why = std::string{std::strerror(errno)};
    ::close(fd);
    return make_error(ec::io_error, "cannot listen on " + where + ": " + why
                                      + " (see ha.listen)");
  }
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  std::unique_ptr<tls_listener> result{new tls_listener};
  result->ctx_ = std::move(ctx);
  result->fd_ = fd;
  result->port_ = ntohs(addr.sin_port);
  return result;
}

tls_listener::~tls_listener() {
  if (fd_ >= 0)
    ::close(fd_);
}

tls_listener::pending
tls_listener::accept_socket(std::chrono::milliseconds timeout, int wake) {
  if ((wait_for(fd_, POLLIN, timeout, wake) & POLLIN) == 0)
    return {};
  sockaddr_in addr{};
  socklen_t len = sizeof(addr);
  int fd = ::accept4(fd_, reinterpret_cast<sockaddr*>(&addr), &len, SOCK_CLOEXEC);
  if (fd < 0)
    return {};
  char ip[INET_ADDRSTRLEN] = "?";
  ::inet_ntop(AF_INET, &addr.sin_addr, ip, sizeof(ip));
  return {fd, std::string{ip} + ":" + std::to_string(ntohs(addr.sin_port))};
}

caf::expected<std::unique_ptr<tls_channel>>
tls_listener::accept(std::chrono::milliseconds timeout, int wake) {
  auto p = accept_socket(timeout, wake);
  if (p.fd < 0)
    return std::unique_ptr<tls_channel>{};
  return tls_channel::accept(ctx_, p.fd, p.peer, std::chrono::seconds{5});
}

} // namespace almanac::replication
