#include "actors/http/gateway.hpp"

#include "actors/http/server.hpp"
#include "messages/actors.hpp"

#include <caf/all.hpp>

#include <thread>

namespace almanac::http {

namespace {

struct gateway_state {
  static constexpr const char* name = "http";
  std::shared_ptr<server> srv;

  // Runs on the gateway's own (detached) thread: closing may wait for
  // requests in flight.
  ~gateway_state() {
    if (srv)
      srv->close();
  }
};

gateway_actor::behavior_type
gateway_impl(gateway_actor::stateful_pointer<gateway_state> self,
             runtime::node_context* node, std::shared_ptr<const router> routes,
             std::shared_ptr<runtime::actor_metrics> metrics) {
  std::string host;
  uint16_t port = 0;
  auto& s = node->settings;
  if (auto err = config::parse_endpoint(s.get("http.listen"), host, port)) {
    self->quit(err);
    return gateway_actor::behavior_type::make_empty_behavior();
  }
  auto limits = limits_of(s);
  self->state.srv = std::make_shared<server>(host, port, std::move(routes), &node->tokens,
                                             std::move(limits), std::move(metrics));
  if (auto err = self->state.srv->open()) {
    self->quit(err);
    return gateway_actor::behavior_type::make_empty_behavior();
  }
  return {
    [self](caf::get_atom) { return self->state.srv->url(); },
  };
}

} // namespace

server_limits limits_of(const config::settings& s) {
  server_limits limits;
  limits.max_body_bytes = s.get_uint("http.max_body_bytes");
  limits.max_header_bytes = s.get_uint("http.max_header_bytes");
  limits.max_header_count = s.get_uint("http.max_header_count");
  limits.header_timeout = std::chrono::milliseconds(s.get_uint("http.header_timeout_ms"));
  limits.body_timeout = std::chrono::milliseconds(s.get_uint("http.body_timeout_ms"));
  limits.max_connections = s.get_uint("http.max_connections");
  limits.max_connections_per_client = s.get_uint("http.max_connections_per_client");
  limits.max_in_flight = s.get_uint("http.max_in_flight");
  limits.max_in_flight_per_client = s.get_uint("http.max_in_flight_per_client");
  limits.max_streams = s.get_uint("http.max_streams");
  limits.io_threads = static_cast<unsigned>(s.get_uint("http.io_threads"));
  limits.handler_threads = static_cast<unsigned>(s.get_uint("http.handler_threads"));
  limits.tls_cert = s.get("http.tls_cert");
  limits.tls_key = s.get("http.tls_key");
  return limits;
}

runtime::child_spec gateway_child(runtime::node_context& node,
                                  std::shared_ptr<const router> routes) {
  return {"http", [&node, routes](const runtime::child_context& ctx) {
            auto h = ctx.system->spawn<caf::detached>(gateway_impl, &node,
                                                      routes, ctx.metrics);
            return caf::actor_cast<caf::actor>(h);
          }};
}

} // namespace almanac::http
