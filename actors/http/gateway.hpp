#pragma once

// The HTTP gateway actor: a detached actor owning the listener, supervised
// like any other (a crash closes the socket; the restart binds it again).

#include "actors/http/router.hpp"
#include "actors/http/server.hpp"
#include "runtime/node_context.hpp"
#include "runtime/supervisor.hpp"

#include <memory>

namespace almanac::http {

/// The listener limits set by the http.* settings.
server_limits limits_of(const config::settings& s);

/// The child spec of the gateway named "http", serving `routes`.
runtime::child_spec gateway_child(runtime::node_context& node,
                                  std::shared_ptr<const router> routes);

} // namespace almanac::http
