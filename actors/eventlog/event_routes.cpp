#include "actors/eventlog/event_routes.hpp"

#include "messages/actors.hpp"
#include "messages/error.hpp"
#include "messages/event_types.hpp"
#include "messages/json_guard.hpp"
#include "actors/eventlog/stream_policy.hpp"
#include "actors/http/ask_routes.hpp"
#include "storage/log/log_commands.hpp"

#include <caf/all.hpp>

#include <set>
#include <sstream>

namespace almanac::eventlog {

std::optional<nlohmann::json> to_json(const event_record& r, const http::principal& who) {
  auto [name, version] = parse_event_tag(r.type);
  auto parsed = parse_json_guarded(r.payload, "the event payload");
  auto payload = parsed ? visible_payload(name, std::move(*parsed), who)
                        : std::optional<nlohmann::json>{nlohmann::json(nullptr)};
  if (!payload)
    return std::nullopt;
  return nlohmann::json{{"offset", r.offset},
                        {"type", name},
                        {"version", version},
                        {"key", r.key},
                        {"time", storage::format_timestamp_ms(r.timestamp_ms)},
                        {"payload", std::move(*payload)}};
}

nlohmann::json to_json(const event_record& r) {
  return *to_json(r, http::principal{"", http::role::admin});
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

// One server-sent event stream: reads from the log (a long poll of at most
// a second, so that a keep-alive goes out while nothing happens), writes a
// chunk, and reads again once the chunk is written. Holds no thread.
struct sse_stream : std::enable_shared_from_this<sse_stream> {
  runtime::node_context* node;
  stream_params params;
  http::principal who;
  std::shared_ptr<http::stream_sink> sink;
  uint64_t next = 0;

  void read() {
    http::ask_actor<std::vector<event_record>>(
      *node, names::eventlog, std::chrono::seconds(6),
      [self = shared_from_this()](caf::expected<std::vector<event_record>> recs) {
        self->on_records(std::move(recs));
      },
      atom::read::value, next, uint64_t{500}, uint64_t{1000});
  }

  void on_records(caf::expected<std::vector<event_record>> recs) {
    if (!recs)
      return sink->close(); // the log restarts; the client reconnects
    std::string chunk;
    if (recs->empty())
      chunk = ": keepalive\n\n";
    for (auto& rec : *recs) {
      next = rec.offset + 1;
      if (!wanted(params, rec))
        continue;
      auto j = to_json(rec, who);
      if (!j)
        continue;
      chunk += "id: " + std::to_string(rec.offset) + "\nevent: "
               + parse_event_tag(rec.type).first + "\ndata: " + j->dump() + "\n\n";
    }
    if (chunk.empty())
      return read();
    write(std::move(chunk));
  }

  void write(std::string chunk) {
    sink->write(std::move(chunk), [self = shared_from_this()](bool ok) {
      if (ok)
        self->read();
    });
  }
};

void serve(runtime::node_context& node, const http::request& req, stream_params p,
           const http::principal& who, http::responder reply) {
  auto sse = req.header("accept").find("text/event-stream") != std::string::npos;
  if (!sse) {
    http::ask_actor<std::vector<event_record>>(
      node, names::eventlog, std::chrono::milliseconds(p.wait_ms + 5000),
      [reply, p, who](caf::expected<std::vector<event_record>> recs) {
        if (!recs)
          return reply(http::error_response(recs.error()));
        auto events = nlohmann::json::array();
        auto next = p.from;
        for (auto& rec : *recs) {
          next = rec.offset + 1;
          if (!wanted(p, rec))
            continue;
          if (auto j = to_json(rec, who))
            events.push_back(std::move(*j));
        }
        reply(http::json_response(200, {{"events", events}, {"next", next}}));
      },
      atom::read::value, p.from, p.max, p.wait_ms);
    return;
  }
  http::response resp;
  resp.content_type = "text/event-stream";
  resp.stream = [&node, p, who](std::shared_ptr<http::stream_sink> sink) {
    auto s = std::make_shared<sse_stream>();
    s->node = &node;
    s->params = p;
    s->who = who;
    s->sink = std::move(sink);
    s->next = p.from;
    s->write(": almanac event stream from offset " + std::to_string(p.from) + "\n\n");
  };
  reply(std::move(resp));
}

nlohmann::json schema_list() {
  auto types = nlohmann::json::array();
  for (auto& s : ev::event_schemas())
    types.push_back({{"type", s.type},
                     {"version", s.version},
                     {"tag", s.type + "@" + std::to_string(s.version)},
                     {"description", s.description},
                     {"schema", s.schema}});
  return {{"types", std::move(types)}};
}

} // namespace

void add_routes(http::router& r, runtime::node_context& node) {
  // The published schemas (generated from the event codecs): what an outside
  // consumer of /api/v1/events (or a topic fed from it) can rely on.
  r.add({"GET", "/api/v1/events/schema", http::role::viewer,
         [](http::request&, const http::principal&) {
           return http::json_response(200, schema_list());
         }});
  r.add({"GET", "/api/v1/events/schema/{type}", http::role::viewer,
         [](http::request& req, const http::principal&) {
           auto [name, version] = parse_event_tag(req.params["type"]);
           for (auto& s : ev::event_schemas())
             if (s.type == name && (version == 0 || version == s.version))
               return http::json_response(200, s.schema);
           return http::error_response(make_error(
             ec::not_found, "no event type '" + req.params["type"].substr(0, 100)
                              + "' (GET /api/v1/events/schema lists them)"));
         }});
  r.add_async("GET", "/api/v1/events", http::role::viewer,
              [&node](http::request& req, const http::principal& who, http::responder reply) {
                auto params = parse_params(req);
                if (!params)
                  return reply(http::error_response(params.error()));
                if (!params->from_end)
                  return serve(node, req, *params, who, std::move(reply));
                http::ask_actor<uint64_t>(
                  node, names::eventlog, 5s,
                  [&node, &req, p = *params, who, reply](caf::expected<uint64_t> end) mutable {
                    if (!end)
                      return reply(http::error_response(end.error()));
                    p.from = *end;
                    serve(node, req, p, who, std::move(reply));
                  },
                  caf::get_atom::value, atom::end::value);
              });
}

} // namespace almanac::eventlog
