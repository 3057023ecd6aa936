#include "actors/http/server.hpp"
#include "messages/text.hpp"

#include "actors/http/beast_request.hpp"
#include "messages/error.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <caf/logger.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

namespace almanac::http {

namespace {

namespace beast = boost::beast;
namespace bh = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using boost::system::error_code;

// Drops the thread's hold on the actor system after a handler may have
// spawned actors from it (see runtime/ask.hpp).
void release_thread() {
  caf::logger::set_current_actor_system(nullptr);
}

// Errors that only mean the client went away.
bool quiet(const error_code& ec) {
  return ec == bh::error::end_of_stream || ec == net::error::eof
         || ec == net::error::operation_aborted || ec == net::error::connection_reset
         || ec == net::error::broken_pipe || ec == ssl::error::stream_truncated;
}

/// Per-address and total counts, guarded by the server's mutex.
struct client_counts {
  size_t connections = 0;
  size_t in_flight = 0;
};

/// What server::impl::close() needs of a connection.
class session_base {
public:
  virtual ~session_base() = default;
  /// Ends the connection (from any thread).
  virtual void stop() = 0;
};

} // namespace

struct server::impl : std::enable_shared_from_this<server::impl> {
  std::string host;
  uint16_t port;
  std::shared_ptr<const router> routes;
  const token_table* tokens;
  server_limits limits;
  std::shared_ptr<runtime::actor_metrics> metrics;

  std::shared_ptr<net::io_context> ioc;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::unique_ptr<net::steady_timer> retry_timer;
  std::unique_ptr<ssl::context> tls;
  std::unique_ptr<net::thread_pool> handlers;
  std::vector<std::thread> threads;
  // Keeps the I/O threads running while no operation is pending: a request
  // waiting for an actor's answer has none, and its answer (posted later)
  // must still find a thread to write it, also while close() drains.
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::atomic<bool> stopping{false};
  bool open = false;

  mutable std::mutex mtx;
  std::map<std::string, client_counts> clients;
  server_stats counts;
  std::map<session_base*, std::weak_ptr<session_base>> sessions;

  bool admit_connection(const std::string& addr) {
    std::lock_guard<std::mutex> guard{mtx};
    auto& c = clients[addr];
    if (counts.connections >= limits.max_connections
        || c.connections >= limits.max_connections_per_client) {
      ++counts.rejected;
      if (c.connections == 0 && c.in_flight == 0)
        clients.erase(addr);
      return false;
    }
    ++c.connections;
    ++counts.connections;
    return true;
  }

  void release_connection(const std::string& addr) {
    std::lock_guard<std::mutex> guard{mtx};
    --counts.connections;
    auto i = clients.find(addr);
    if (i != clients.end() && --i->second.connections == 0 && i->second.in_flight == 0)
      clients.erase(i);
  }

  // Empty if admitted, else which limit refused the request.
  std::string admit_request(const std::string& addr) {
    std::lock_guard<std::mutex> guard{mtx};
    auto& c = clients[addr];
    if (counts.in_flight >= limits.max_in_flight) {
      ++counts.rejected;
      return "the server is answering " + std::to_string(counts.in_flight)
             + " requests (http.max_in_flight)";
    }
    if (c.in_flight >= limits.max_in_flight_per_client) {
      ++counts.rejected;
      return "this client has " + std::to_string(c.in_flight)
             + " requests in flight (http.max_in_flight_per_client)";
    }
    ++c.in_flight;
    ++counts.in_flight;
    metrics->mailbox.store(counts.in_flight);
    metrics->processed.fetch_add(1, std::memory_order_relaxed);
    return {};
  }

  void release_request(const std::string& addr) {
    std::lock_guard<std::mutex> guard{mtx};
    --counts.in_flight;
    metrics->mailbox.store(counts.in_flight);
    auto i = clients.find(addr);
    if (i != clients.end() && --i->second.in_flight == 0 && i->second.connections == 0)
      clients.erase(i);
  }

  bool admit_stream() {
    std::lock_guard<std::mutex> guard{mtx};
    if (counts.streams >= limits.max_streams) {
      ++counts.rejected;
      return false;
    }
    ++counts.streams;
    return true;
  }

  void release_stream() {
    std::lock_guard<std::mutex> guard{mtx};
    --counts.streams;
  }

  void add_session(const std::shared_ptr<session_base>& s) {
    std::lock_guard<std::mutex> guard{mtx};
    sessions[s.get()] = s;
  }

  void remove_session(session_base* s) {
    std::lock_guard<std::mutex> guard{mtx};
    sessions.erase(s);
  }

  void accept();
  template <class Stream>
  void start_session(Stream stream, std::string addr, bool admitted);
};

namespace {

/// One connection: reads a request (headers, then body, each with a cap and
/// a deadline), answers it, and reads the next while the client keeps it
/// alive. All of its handlers run on its strand.
template <class Stream>
class session : public session_base,
                public std::enable_shared_from_this<session<Stream>> {
public:
  static constexpr bool is_tls = !std::is_same_v<Stream, beast::tcp_stream>;

  session(std::shared_ptr<net::io_context> ioc, std::shared_ptr<server::impl> srv,
          Stream stream, std::string addr, bool admitted)
    : ioc_(std::move(ioc)), srv_(std::move(srv)), stream_(std::move(stream)),
      addr_(std::move(addr)), admitted_(admitted), deadline_(stream_.get_executor()) {
    // nop
  }

  ~session() override {
    if (streaming_)
      srv_->release_stream();
    if (admitted_)
      srv_->release_connection(addr_);
    srv_->remove_session(this);
  }

  void start() {
    if constexpr (is_tls) {
      lowest().expires_after(srv_->limits.header_timeout);
      stream_.async_handshake(ssl::stream_base::server,
                              [self = this->shared_from_this()](error_code ec) {
                                if (ec)
                                  return self->close_now();
                                self->begin();
                              });
    } else {
      begin();
    }
  }

  void stop() override {
    net::post(stream_.get_executor(), [self = this->shared_from_this()] {
      self->disarm();
      self->fail_chunks();
      self->close_now();
    });
  }

  /// Sends `resp` (from the strand).
  void send(response resp) {
    if (resp.stream)
      return send_stream(std::move(resp));
    auto res = std::make_shared<bh::response<bh::string_body>>(
      static_cast<bh::status>(resp.status), version_);
    res->set(bh::field::server, "almanac");
    res->set(bh::field::content_type, resp.content_type);
    for (auto& [k, v] : resp.headers)
      res->set(k, v);
    res->body() = std::move(resp.body);
    bool keep = keep_alive_ && !srv_->stopping && !close_after_;
    res->keep_alive(keep);
    res->prepare_payload();
    lowest().expires_after(srv_->limits.write_timeout);
    bh::async_write(stream_, *res,
                    [self = this->shared_from_this(), res, keep,
                     after = std::move(resp.after)](error_code ec, size_t) {
                      if (after)
                        std::thread([after] {
                          after();
                          release_thread();
                        }).detach();
                      if (ec)
                        return self->close_now();
                      if (!keep)
                        return self->linger_close();
                      self->read_header();
                    });
  }

  /// Queues one chunk of a streaming body (from the strand).
  void queue_chunk(std::string chunk, std::function<void(bool)> done) {
    if (stream_ended_ || srv_->stopping) {
      if (done)
        done(false);
      return;
    }
    chunks_.emplace_back(std::move(chunk), std::move(done));
    if (!writing_)
      write_chunk();
  }

  /// Ends a streaming body (from the strand).
  void end_stream() {
    end_requested_ = true;
    if (!writing_)
      finish_stream();
  }

  net::any_io_executor executor() {
    return stream_.get_executor();
  }

private:
  beast::tcp_stream& lowest() {
    return beast::get_lowest_layer(stream_);
  }

  void arm(std::chrono::milliseconds timeout) {
    lowest().expires_never();
    timed_out_ = false;
    deadline_.expires_after(timeout);
    deadline_.async_wait([self = this->shared_from_this()](error_code ec) {
      if (ec)
        return;
      self->timed_out_ = true;
      error_code ignored;
      self->lowest().socket().cancel(ignored);
    });
  }

  void disarm() {
    deadline_.cancel();
  }

  void begin() {
    // A connection past the limits still gets its request read (within the
    // header limits), so that /health answers; anything else gets 503.
    read_header();
  }

  void refuse_connection() {
    close_after_ = true;
    auto resp = error_response(503, "unavailable",
                               "too many connections (http.max_connections, "
                               "http.max_connections_per_client); try again");
    resp.headers["Retry-After"] = "1";
    send(std::move(resp));
  }

  void read_header() {
    if (srv_->stopping)
      return close_now();
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(srv_->limits.max_header_bytes));
    parser_->body_limit(admitted_ ? srv_->limits.max_body_bytes : 0);
    arm(admitted_ ? srv_->limits.header_timeout
                  : std::min(srv_->limits.header_timeout, std::chrono::milliseconds(2000)));
    bh::async_read_header(stream_, buffer_, *parser_,
                          [self = this->shared_from_this()](error_code ec, size_t) {
                            self->on_header(ec);
                          });
  }

  void fail(int status, const std::string& code, const std::string& message) {
    close_after_ = true;
    if (version_ == 0)
      version_ = 11;
    send(error_response(status, code, message));
  }

  bool read_failed(error_code ec) {
    disarm();
    if (!ec)
      return false;
    if (timed_out_ && ec == net::error::operation_aborted)
      ec = beast::error::timeout;
    if (quiet(ec)) {
      close_now();
    } else if (!admitted_) {
      refuse_connection();
    } else if (ec == beast::error::timeout) {
      if (buffer_.size() == 0 && !parser_->got_some())
        close_now(); // an idle keep-alive connection
      else
        fail(408, "request_timeout",
             "the request did not arrive in time (http.header_timeout_ms, "
             "http.body_timeout_ms)");
    } else if (ec == bh::error::header_limit) {
      fail(431, "headers_too_large",
           "request headers exceed " + std::to_string(srv_->limits.max_header_bytes)
             + " bytes (http.max_header_bytes)");
    } else if (ec == bh::error::body_limit) {
      fail(413, "payload_too_large",
           "request body exceeds the limit of "
             + std::to_string(srv_->limits.max_body_bytes)
             + " bytes (http.max_body_bytes)");
    } else {
      fail(400, "bad_request", "malformed HTTP request: " + ec.message());
    }
    return true;
  }

  void on_header(error_code ec) {
    if (read_failed(ec))
      return;
    auto& msg = parser_->get();
    version_ = msg.version();
    size_t fields = std::distance(msg.begin(), msg.end());
    if (fields > srv_->limits.max_header_count)
      return fail(431, "headers_too_large",
                  "the request has " + std::to_string(fields)
                    + " header fields; at most "
                    + std::to_string(srv_->limits.max_header_count)
                    + " are accepted (http.max_header_count)");
    if (lower(std::string{msg[bh::field::expect]}) == "100-continue") {
      auto cont = std::make_shared<bh::response<bh::empty_body>>(bh::status::continue_, 11);
      lowest().expires_after(srv_->limits.write_timeout);
      return bh::async_write(stream_, *cont,
                             [self = this->shared_from_this(), cont](error_code ec, size_t) {
                               if (ec)
                                 return self->close_now();
                               self->read_body();
                             });
    }
    read_body();
  }

  void read_body() {
    arm(srv_->limits.body_timeout);
    bh::async_read(stream_, buffer_, *parser_,
                   [self = this->shared_from_this()](error_code ec, size_t) {
                     self->on_body(ec);
                   });
  }

  void on_body(error_code ec) {
    if (read_failed(ec))
      return;
    auto msg = parser_->release();
    keep_alive_ = msg.keep_alive();
    auto req = to_request(std::move(msg));
    if (srv_->stopping) {
      close_after_ = true;
      return send(error_response(503, "unavailable", "the server is stopping"));
    }
    auto self = this->shared_from_this();
    if (!admitted_)
      close_after_ = true;
    if (srv_->routes->is_public(*req)) {
      // Cheap and unauthenticated (/health): answered here, under any load.
      srv_->routes->dispatch(req, *srv_->tokens,
                             [self = this->shared_from_this()](response resp) {
                               self->send(std::move(resp));
                             });
      return;
    }
    if (!admitted_)
      return refuse_connection();
    auto refused = srv_->admit_request(addr_);
    if (!refused.empty()) {
      auto resp = error_response(503, "unavailable", refused + "; try again");
      resp.headers["Retry-After"] = "1";
      return send(std::move(resp));
    }
    auto srv = srv_;
    auto addr = addr_;
    // The responder owns the connection until the answer is out.
    responder reply = [self, srv, addr](response resp) {
      srv->release_request(addr);
      net::post(self->executor(), [self, resp = std::move(resp)]() mutable {
        self->send(std::move(resp));
      });
    };
    req->resume = [srv](std::function<void()> f) {
      net::post(*srv->handlers, [f = std::move(f)] {
        f();
        release_thread();
      });
    };
    net::post(*srv_->handlers, [srv, req, reply = std::move(reply)]() mutable {
      srv->routes->dispatch(req, *srv->tokens, std::move(reply));
      release_thread();
    });
  }

  void send_stream(response resp) {
    if (!srv_->admit_stream()) {
      close_after_ = true;
      auto err = error_response(503, "unavailable",
                                "too many event streams are open (http.max_streams); try again");
      err.headers["Retry-After"] = "1";
      return send(std::move(err));
    }
    streaming_ = true;
    auto res = std::make_shared<bh::response<bh::empty_body>>(
      static_cast<bh::status>(resp.status), version_);
    res->set(bh::field::server, "almanac");
    res->set(bh::field::content_type, resp.content_type);
    res->set(bh::field::cache_control, "no-cache");
    for (auto& [k, v] : resp.headers)
      res->set(k, v);
    res->keep_alive(false);
    res->chunked(true);
    auto sr = std::make_shared<bh::response_serializer<bh::empty_body>>(*res);
    lowest().expires_after(srv_->limits.write_timeout);
    bh::async_write_header(
      stream_, *sr,
      [self = this->shared_from_this(), res, sr,
       fn = std::move(resp.stream)](error_code ec, size_t) {
        if (ec) {
          self->stream_ended_ = true;
          return self->close_now();
        }
        fn(std::make_shared<sink>(self));
      });
  }

  /// The stream_sink of this connection; owns it while the stream runs.
  class sink : public stream_sink {
  public:
    explicit sink(std::shared_ptr<session> s) : s_(std::move(s)) {
      // nop
    }
    ~sink() override {
      close();
    }
    void write(std::string chunk, std::function<void(bool)> done) override {
      net::post(s_->executor(), [s = s_, chunk = std::move(chunk),
                                 done = std::move(done)]() mutable {
        s->queue_chunk(std::move(chunk), std::move(done));
      });
    }
    void close() override {
      if (closed_.exchange(true))
        return;
      net::post(s_->executor(), [s = s_] { s->end_stream(); });
    }

  private:
    std::shared_ptr<session> s_;
    std::atomic<bool> closed_{false};
  };

  void write_chunk() {
    writing_ = true;
    lowest().expires_after(srv_->limits.write_timeout);
    net::async_write(stream_, bh::make_chunk(net::buffer(chunks_.front().first)),
                     [self = this->shared_from_this()](error_code ec, size_t) {
                       self->writing_ = false;
                       auto done = std::move(self->chunks_.front().second);
                       self->chunks_.pop_front();
                       if (ec) {
                         self->stream_ended_ = true;
                         if (done)
                           done(false);
                         self->fail_chunks();
                         return self->close_now();
                       }
                       if (done)
                         done(true);
                       if (!self->chunks_.empty())
                         self->write_chunk();
                       else if (self->end_requested_)
                         self->finish_stream();
                     });
  }

  void finish_stream() {
    if (stream_ended_)
      return;
    stream_ended_ = true;
    lowest().expires_after(std::chrono::seconds(2));
    net::async_write(stream_, bh::make_chunk_last(),
                     [self = this->shared_from_this()](error_code, size_t) {
                       self->close_now();
                     });
  }

  void fail_chunks() {
    stream_ended_ = true;
    auto pending = std::move(chunks_);
    chunks_.clear();
    // The chunk being written still owns its buffer; it fails on its own.
    if (writing_ && !pending.empty()) {
      chunks_.push_back(std::move(pending.front()));
      pending.pop_front();
    }
    for (auto& [chunk, done] : pending)
      if (done)
        done(false);
  }

  // Half-closes, then reads what the client still sends for a moment, so
  // that it sees an error answer instead of a reset.
  void linger_close() {
    error_code ignored;
    if constexpr (is_tls) {
      lowest().expires_after(std::chrono::seconds(1));
      stream_.async_shutdown([self = this->shared_from_this()](error_code) {
        self->close_now();
      });
    } else {
      lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
      lowest().expires_after(std::chrono::seconds(2));
      drain();
    }
  }

  void drain() {
    lowest().async_read_some(net::buffer(discard_),
                             [self = this->shared_from_this()](error_code ec, size_t) {
                               if (ec)
                                 return self->close_now();
                               self->drain();
                             });
  }

  void close_now() {
    error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    lowest().close();
  }

  std::shared_ptr<net::io_context> ioc_; // first: destroyed last
  std::shared_ptr<server::impl> srv_;
  Stream stream_;
  std::string addr_;
  bool admitted_;
  beast::flat_buffer buffer_;
  std::optional<bh::request_parser<bh::string_body>> parser_;
  unsigned version_ = 0;
  bool keep_alive_ = false;
  bool close_after_ = false;
  bool streaming_ = false;
  bool writing_ = false;
  bool end_requested_ = false;
  bool stream_ended_ = false;
  std::deque<std::pair<std::string, std::function<void(bool)>>> chunks_;
  std::array<char, 16 * 1024> discard_;
  // Deadline of the request being read: it cancels the read (instead of
  // closing the socket, as the stream's own timeout does) so that the
  // client still gets its 408.
  net::steady_timer deadline_;
  bool timed_out_ = false;
};

} // namespace

template <class Stream>
void server::impl::start_session(Stream stream, std::string addr, bool admitted) {
  auto s = std::make_shared<session<Stream>>(ioc, shared_from_this(), std::move(stream),
                                             std::move(addr), admitted);
  add_session(s);
  s->start();
}

void server::impl::accept() {
  acceptor->async_accept(net::make_strand(*ioc), [self = shared_from_this()](
                                                   error_code ec, tcp::socket socket) {
    if (self->stopping || ec == net::error::operation_aborted)
      return;
    if (ec) {
      // Out of file descriptors and the like: try again shortly, not in a spin.
      spdlog::warn("[http] accept: {}", ec.message());
      self->retry_timer->expires_after(std::chrono::milliseconds(50));
      self->retry_timer->async_wait([self](error_code e) {
        if (!e && !self->stopping)
          self->accept();
      });
      return;
    }
    error_code addr_ec;
    auto addr = socket.remote_endpoint(addr_ec).address().to_string();
    bool admitted = self->admit_connection(addr);
    if (self->tls)
      self->start_session(beast::ssl_stream<beast::tcp_stream>(
                            beast::tcp_stream(std::move(socket)), *self->tls),
                          std::move(addr), admitted);
    else
      self->start_session(beast::tcp_stream(std::move(socket)), std::move(addr), admitted);
    self->accept();
  });
}

server::server(std::string host, uint16_t port, std::shared_ptr<const router> routes,
               const token_table* tokens, server_limits limits,
               std::shared_ptr<runtime::actor_metrics> metrics)
  : impl_(std::make_shared<impl>()) {
  impl_->host = std::move(host);
  impl_->port = port;
  impl_->routes = std::move(routes);
  impl_->tokens = tokens;
  impl_->limits = std::move(limits);
  impl_->metrics = std::move(metrics);
}

server::~server() {
  close();
}

std::string server::url() const {
  return (impl_->limits.tls_cert.empty() ? "http://" : "https://") + impl_->host + ":"
         + std::to_string(impl_->port);
}

server_stats server::stats() const {
  std::lock_guard<std::mutex> guard{impl_->mtx};
  return impl_->counts;
}

caf::error server::open() {
  auto& m = *impl_;
  m.ioc = std::make_shared<net::io_context>(static_cast<int>(m.limits.io_threads));
  if (!m.limits.tls_cert.empty() || !m.limits.tls_key.empty()) {
    if (m.limits.tls_cert.empty() || m.limits.tls_key.empty())
      return make_error(ec::invalid_config,
                        "http.tls_cert and http.tls_key must be set together");
    try {
      m.tls = std::make_unique<ssl::context>(ssl::context::tls_server);
      m.tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2
                         | ssl::context::no_sslv3 | ssl::context::no_tlsv1
                         | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
      m.tls->use_certificate_chain_file(m.limits.tls_cert);
      m.tls->use_private_key_file(m.limits.tls_key, ssl::context::pem);
    } catch (const std::exception& e) {
      m.tls.reset();
      return make_error(ec::invalid_config,
                        "cannot load the TLS certificate or key (http.tls_cert, "
                        "http.tls_key): " + std::string{e.what()});
    }
  }
  try {
    tcp::resolver resolver{*m.ioc};
    auto results = resolver.resolve(m.host, std::to_string(m.port));
    if (results.empty())
      return make_error(ec::io_error, "cannot resolve " + m.host);
    tcp::endpoint ep = *results.begin();
    m.acceptor = std::make_unique<tcp::acceptor>(*m.ioc);
    m.acceptor->open(ep.protocol());
    m.acceptor->set_option(net::socket_base::reuse_address(true));
    m.acceptor->bind(ep);
    m.acceptor->listen(net::socket_base::max_listen_connections);
    m.port = m.acceptor->local_endpoint().port(); // port 0: the one the kernel chose
  } catch (const std::exception& e) {
    m.acceptor.reset();
    return make_error(ec::io_error, "cannot listen on " + url() + ": " + e.what());
  }
  m.retry_timer = std::make_unique<net::steady_timer>(*m.ioc);
  m.handlers = std::make_unique<net::thread_pool>(std::max(1u, m.limits.handler_threads));
  m.work.emplace(m.ioc->get_executor());
  m.accept();
  for (unsigned i = 0; i < std::max(1u, m.limits.io_threads); ++i)
    m.threads.emplace_back([ioc = m.ioc] {
      for (;;) {
        try {
          ioc->run();
          return;
        } catch (const std::exception& e) {
          spdlog::error("[http] I/O thread: {}", e.what());
        }
      }
    });
  m.open = true;
  spdlog::info("[http] listening on {} ({} I/O threads, {} handler threads)", url(),
               m.limits.io_threads, m.limits.handler_threads);
  return caf::none;
}

void server::close() {
  auto& m = *impl_;
  if (!m.open)
    return;
  m.open = false;
  m.stopping = true;
  auto started = std::chrono::steady_clock::now();
  net::post(*m.ioc, [acc = m.acceptor.get(), timer = m.retry_timer.get()] {
    error_code ignored;
    acc->close(ignored);
    timer->cancel();
  });
  std::vector<std::shared_ptr<session_base>> open_sessions;
  {
    std::lock_guard<std::mutex> guard{m.mtx};
    for (auto& [ptr, weak] : m.sessions)
      if (auto s = weak.lock())
        open_sessions.push_back(std::move(s));
  }
  for (auto& s : open_sessions)
    s->stop();
  open_sessions.clear();
  // Give the sessions a moment to end, then stop whatever remains.
  for (int i = 0; i < 100; ++i) {
    {
      std::lock_guard<std::mutex> guard{m.mtx};
      if (m.sessions.empty())
        break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  m.handlers->stop();
  m.handlers->join();
  m.work.reset();
  m.ioc->stop();
  for (auto& t : m.threads)
    t.join();
  m.threads.clear();
  // Run what is left (its sockets are closed, so it ends at once): pending
  // handlers own their sessions, which would otherwise never be freed.
  m.ioc->restart();
  for (int i = 0; i < 10 && m.ioc->poll() > 0; ++i)
    ;
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
    std::chrono::steady_clock::now() - started);
  spdlog::info("[http] stopped listening on {} (in {} ms)", url(), took.count());
}

} // namespace almanac::http
