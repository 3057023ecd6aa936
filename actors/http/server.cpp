#include "actors/http/server.hpp"

#include "messages/error.hpp"

// cpprest defines a U() macro that breaks fmt; turn it off.
#define _TURN_OFF_PLATFORM_STRING
#include <cpprest/containerstream.h>
#include <cpprest/http_listener.h>
#include <cpprest/producerconsumerstream.h>
#include <caf/logger.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <thread>

namespace almanac::http {

namespace {

namespace cp = web::http;
using web::http::experimental::listener::http_listener;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::map<std::string, std::string> parse_query(const std::string& raw) {
  std::map<std::string, std::string> result;
  size_t start = 0;
  while (start <= raw.size()) {
    auto amp = raw.find('&', start);
    auto part = raw.substr(start, amp == std::string::npos ? std::string::npos
                                                           : amp - start);
    if (!part.empty()) {
      auto eq = part.find('=');
      auto key = percent_decode(part.substr(0, eq), true);
      auto val = eq == std::string::npos ? std::string{}
                                         : percent_decode(part.substr(eq + 1), true);
      result[key] = val;
    }
    if (amp == std::string::npos)
      break;
    start = amp + 1;
  }
  return result;
}

} // namespace

struct server::impl {
  std::string host;
  uint16_t port;
  std::shared_ptr<const router> routes;
  const token_table* tokens;
  size_t max_body;
  std::shared_ptr<runtime::actor_metrics> metrics;
  std::unique_ptr<http_listener> listener;
  std::atomic<int64_t> in_flight{0};
  /// Set by close(): streaming responses end at their next write.
  std::atomic<bool> stopping{false};
  /// Streaming responses still running.
  std::atomic<int> streams{0};

  void reply(cp::http_request& req, response resp) {
    cp::http_response out(static_cast<cp::status_code>(resp.status));
    for (auto& [k, v] : resp.headers)
      out.headers().add(k, v);
    if (resp.stream) {
      concurrency::streams::producer_consumer_buffer<uint8_t> buf;
      out.headers().add("Cache-Control", "no-cache");
      out.set_body(buf.create_istream(), resp.content_type);
      // The reply task ends when the client goes away (or the body ends).
      auto gone = std::make_shared<std::atomic<bool>>(false);
      req.reply(out).then([gone](pplx::task<void> t) {
        try {
          t.get();
        } catch (...) {
        }
        *gone = true;
      });
      ++streams;
      std::thread([this, buf, gone, fn = std::move(resp.stream)]() mutable {
        chunk_writer write = [this, &buf, gone](const std::string& chunk) {
          if (*gone || stopping)
            return false;
          try {
            buf.putn_nocopy(reinterpret_cast<const uint8_t*>(chunk.data()),
                            chunk.size()).wait();
            buf.sync().wait();
            return !*gone && !stopping;
          } catch (...) {
            return false;
          }
        };
        try {
          fn(write);
        } catch (const std::exception& e) {
          spdlog::warn("[http] stream ended: {}", e.what());
        }
        try {
          buf.close(std::ios_base::out).wait();
        } catch (...) {
        }
        caf::logger::set_current_actor_system(nullptr);
        --streams;
      }).detach();
      return;
    }
    out.set_body(resp.body, resp.content_type);
    req.reply(out).then([after = std::move(resp.after)](pplx::task<void> t) {
      try {
        t.get();
      } catch (...) {
        // The client went away; nothing to do.
      }
      if (after) {
        after();
        caf::logger::set_current_actor_system(nullptr);
      }
    });
  }

  // Reads the body up to max_body + 1 bytes; returns false if it is larger.
  bool read_body(cp::http_request& req, std::string& out) {
    auto len = req.headers().content_length();
    if (len > max_body) {
      // Drain a moderately oversized body so the client reads our 413.
      if (len <= 64 * max_body) {
        concurrency::streams::container_buffer<std::string> sink;
        try {
          req.body().read_to_end(sink).get();
        } catch (...) {
        }
      }
      return false;
    }
    concurrency::streams::container_buffer<std::string> buf;
    auto body = req.body();
    size_t total = 0;
    for (;;) {
      auto n = body.read(buf, 64 * 1024).get();
      if (n == 0)
        break;
      total += n;
      if (total > max_body)
        return false;
    }
    // The buffer's collection may be larger than what was written.
    out.assign(buf.collection().data(), std::min(total, buf.collection().size()));
    return true;
  }

  void handle(cp::http_request req) {
    ++in_flight;
    metrics->mailbox.store(static_cast<uint64_t>(in_flight.load()));
    metrics->processed.fetch_add(1, std::memory_order_relaxed);
    request r;
    r.method = req.method();
    auto rel = req.relative_uri();
    r.path = rel.path();
    r.segments = split_path(r.path);
    r.query = parse_query(rel.query());
    for (auto& [k, v] : req.headers())
      r.headers[lower(k)] = v;
    response resp;
    try {
      if (!read_body(req, r.body)) {
        resp = error_response(413, "payload_too_large",
                              "request body exceeds the limit of "
                                + std::to_string(max_body)
                                + " bytes (http.max_body_bytes)");
      } else {
        resp = routes->dispatch(r, *tokens);
      }
    } catch (const std::exception& e) {
      resp = error_response(400, "bad_request",
                            std::string{"cannot read request: "} + e.what());
    }
    // Routes may have spawned actors from this foreign thread (runtime::ask).
    caf::logger::set_current_actor_system(nullptr);
    spdlog::debug("[http] {} {} -> {}", r.method, r.path, resp.status);
    reply(req, std::move(resp));
    --in_flight;
    metrics->mailbox.store(static_cast<uint64_t>(in_flight.load()));
  }
};

server::server(std::string host, uint16_t port,
               std::shared_ptr<const router> routes, const token_table* tokens,
               size_t max_body_bytes,
               std::shared_ptr<runtime::actor_metrics> metrics)
  : impl_(new impl{std::move(host), port, std::move(routes), tokens,
                   max_body_bytes, std::move(metrics), nullptr}) {
  // nop
}

server::~server() {
  close();
}

std::string server::url() const {
  return "http://" + impl_->host + ":" + std::to_string(impl_->port);
}

caf::error server::open() {
  try {
    web::http::experimental::listener::http_listener_config cfg;
    cfg.set_timeout(std::chrono::seconds(120));
    impl_->listener = std::make_unique<http_listener>(url() + "/", cfg);
    auto* self = impl_.get();
    impl_->listener->support([self](cp::http_request req) {
      self->handle(std::move(req));
    });
    impl_->listener->open().wait();
  } catch (const std::exception& e) {
    impl_->listener.reset();
    return make_error(ec::io_error,
                      "cannot listen on " + url() + ": " + e.what());
  }
  spdlog::info("[http] listening on {}", url());
  return caf::none;
}

void server::close() {
  if (!impl_->listener)
    return;
  // Let streaming responses notice and end (they poll at least every second).
  impl_->stopping = true;
  for (int i = 0; i < 300 && impl_->streams > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  try {
    impl_->listener->close().wait();
  } catch (const std::exception& e) {
    spdlog::warn("[http] close: {}", e.what());
  }
  impl_->listener.reset();
  spdlog::info("[http] stopped listening on {}", url());
}

} // namespace almanac::http
