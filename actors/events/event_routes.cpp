#include "actors/events/event_routes.hpp"

#include "messages/actors.hpp"
#include "messages/error.hpp"
#include "runtime/ask.hpp"
#include "storage/log/log_commands.hpp"

#include <caf/all.hpp>

#include <set>
#include <sstream>

namespace almanac::events {

nlohmann::json to_json(const event_record& r) {
  auto [name, version] = parse_event_tag(r.type);
  auto payload = nlohmann::json::parse(r.payload, nullptr, false);
  if (payload.is_discarded())
    payload = r.payload;
  return {{"offset", r.offset},
          {"type", name},
          {"version", version},
          {"key", r.key},
          {"time", storage::format_timestamp_ms(r.timestamp_ms)},
          {"payload", std::move(payload)}};
}

namespace {

using namespace std::chrono_literals;

struct stream_params {
  uint64_t from = 0;
  bool from_end = false;
  std::set<std::string> types;
  uint64_t wait_ms = 0;
  uint64_t max = 1000;
};

caf::error parse_uint(const http::request& req, const std::string& name,
                      uint64_t limit, uint64_t& out) {
  auto i = req.query.find(name);
  if (i == req.query.end())
    return caf::none;
  auto& v = i->second;
  if (v.empty() || v.size() > 19
      || v.find_first_not_of("0123456789") != std::string::npos)
    return make_error(ec::bad_request,
                      "query parameter " + name + " must be a non-negative integer, not '"
                        + v + "'");
  out = std::stoull(v);
  if (out > limit)
    return make_error(ec::invalid_argument, "query parameter " + name
                                              + " must be at most "
                                              + std::to_string(limit));
  return caf::none;
}

caf::expected<stream_params> parse_params(const http::request& req) {
  stream_params p;
  if (req.query.count("from") && req.query.at("from") == "end") {
    p.from_end = true;
  } else if (auto err = parse_uint(req, "from", UINT64_MAX / 2, p.from)) {
    return err;
  }
  auto last = req.header("last-event-id");
  if (!last.empty()) {
    if (last.find_first_not_of("0123456789") != std::string::npos
        || last.size() > 19)
      return make_error(ec::bad_request,
                        "Last-Event-ID must be an event offset, not '" + last + "'");
    p.from = std::stoull(last) + 1;
    p.from_end = false;
  }
  if (auto err = parse_uint(req, "wait_ms", 60000, p.wait_ms))
    return err;
  if (auto err = parse_uint(req, "max", 10000, p.max))
    return err;
  if (p.max == 0)
    p.max = 1;
  if (req.query.count("types")) {
    std::stringstream ss{req.query.at("types")};
    std::string t;
    while (std::getline(ss, t, ','))
      if (!t.empty()) {
        if (!find_event_type(t))
          return make_error(ec::invalid_argument, "unknown event type '" + t
                                                    + "' in types");
        p.types.insert(t);
      }
  }
  return p;
}

bool wanted(const stream_params& p, const event_record& r) {
  return p.types.empty() || p.types.count(parse_event_tag(r.type).first) > 0;
}

event_log_actor log_of(runtime::node_context& node) {
  return caf::actor_cast<event_log_actor>(node.registry.handle("eventlog"));
}

} // namespace

void add_routes(http::router& r, runtime::node_context& node) {
  r.add({"GET", "/api/v1/events", http::role::viewer,
         [&node](http::request& req, const http::principal&) {
           auto params = parse_params(req);
           if (!params)
             return http::error_response(params.error());
           auto log = log_of(node);
           if (!log)
             return http::error_response(
               make_error(ec::unavailable, "the event log is not running"));
           if (params->from_end) {
             auto end = runtime::ask<uint64_t>(*node.system, log, 5s,
                                               caf::get_atom::value,
                                               atom::end::value);
             if (!end)
               return http::error_response(end.error());
             params->from = *end;
           }
           auto sse = req.header("accept").find("text/event-stream")
                      != std::string::npos;
           if (!sse) {
             auto recs = runtime::ask<std::vector<event_record>>(
               *node.system, log, std::chrono::milliseconds(params->wait_ms + 5000),
               atom::read::value, params->from, params->max, params->wait_ms);
             if (!recs)
               return http::error_response(recs.error());
             auto events = nlohmann::json::array();
             auto next = params->from;
             for (auto& rec : *recs) {
               next = rec.offset + 1;
               if (wanted(*params, rec))
                 events.push_back(to_json(rec));
             }
             return http::json_response(200, {{"events", events}, {"next", next}});
           }
           http::response resp;
           resp.content_type = "text/event-stream";
           resp.stream = [&node, p = *params](const http::chunk_writer& write) {
             auto next = p.from;
             if (!write(": almanac event stream from offset "
                        + std::to_string(next) + "\n\n"))
               return;
             for (;;) {
               auto log = log_of(node);
               if (!log)
                 return; // the log restarts; the client reconnects
               auto recs = runtime::ask<std::vector<event_record>>(
                 *node.system, log, 6s, atom::read::value, next,
                 uint64_t{500}, uint64_t{1000});
               if (!recs)
                 return;
               if (recs->empty()) {
                 if (!write(": keepalive\n\n"))
                   return;
                 continue;
               }
               std::string chunk;
               for (auto& rec : *recs) {
                 next = rec.offset + 1;
                 if (!wanted(p, rec))
                   continue;
                 chunk += "id: " + std::to_string(rec.offset) + "\nevent: "
                          + parse_event_tag(rec.type).first + "\ndata: "
                          + to_json(rec).dump() + "\n\n";
               }
               if (!chunk.empty() && !write(chunk))
                 return;
             }
           };
           return resp;
         }});
}

} // namespace almanac::events
