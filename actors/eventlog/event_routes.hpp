#pragma once

// GET /api/v1/events: the event stream for subscribers, as server-sent events
// (Accept: text/event-stream; event id = log offset; reconnecting with
// Last-Event-ID resumes right after it) or as a JSON long poll
// (?from=&wait_ms=&max= -> {"events":[...], "next":N}). Viewer role or above.

#include "actors/http/router.hpp"

#include <optional>
#include "messages/events.hpp"
#include "runtime/node_context.hpp"

namespace almanac::eventlog {

/// Adds GET /api/v1/events to `r`.
void add_routes(http::router& r, runtime::node_context& node);

/// Renders one record as the JSON the stream carries to an admin.
nlohmann::json to_json(const event_record& r);

/// Renders one record as `who` may see it (stream_policy.hpp), or nullopt.
std::optional<nlohmann::json> to_json(const event_record& r, const http::principal& who);

} // namespace almanac::eventlog
