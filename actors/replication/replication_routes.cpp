#include "actors/replication/replication_routes.hpp"

#include "actors/http/ask_routes.hpp"
#include "actors/replication/shipper.hpp"
#include "messages/actors.hpp"
#include "messages/time.hpp"
#include "storage/log/segment_log.hpp"

namespace almanac::replication {

namespace {

using nlohmann::json;

json primary_status(const runtime::node_context& node,
                    const std::shared_ptr<storage::segment_log>& log) {
  auto& ha = *node.ha;
  json j{{"replication_mode", "primary"},
         {"name", ha.name},
         {"epoch", log ? log->epoch() : 0},
         {"log_end", log ? log->end_offset() : 0},
         {"log_end_position", log ? log->end_position() : 0},
         {"sync", ha.sync.load()},
         {"degraded", ha.degraded.load()}};
  if (ha.sync) {
    // Readers here see the log up to the watermark: what the standby has.
    j["replicated_end"] = ha.replicated_end.load();
    j["writes_refused"] = ha.stalled.load();
    if (auto why = ha.sync_problem(); !why.empty())
      j["problem"] = why;
  }
  for (auto& [name, s] : ha.standbys()) {
    json row{{"state", s.state}, {"sync", s.sync}, {"durable_offset", s.durable_offset},
             {"peer", s.peer}};
    if (s.state == "disconnected" || !log) {
      row["log_lag_bytes"] = "unknown";
      row["log_lag_events"] = "unknown";
      row["lag_ms"] = "unknown";
    } else {
      auto end = log->end_offset();
      auto end_pos = log->end_position();
      row["log_lag_bytes"] = end_pos - std::min(end_pos, s.durable_position);
      row["log_lag_events"] = end - std::min(end, s.durable_offset);
      row["lag_ms"] = s.durable_offset < end ? record_age_ms(*log, s.durable_offset) : 0;
    }
    j[name] = row;
  }
  return j;
}

json standby_status(const runtime::node_context& node,
                    const std::shared_ptr<storage::segment_log>& log) {
  auto& ha = *node.ha;
  auto f = ha.follower();
  uint64_t end = log ? log->end_offset() : 0;
  uint64_t end_pos = log ? log->end_position() : 0;
  json j{{"replication_mode", "standby"},
         {"name", ha.name},
         {"primary", f.primary},
         {"primary_name", f.primary_name},
         {"primary_url", f.primary_url},
         {"state", f.state},
         {"epoch", log ? log->epoch() : 0},
         {"log_end", end}};
  if (!f.last_error.empty())
    j["last_error"] = f.last_error;
  if (f.state == "disconnected" || f.state == "connecting" || f.heard_ms == 0) {
    j["log_lag_bytes"] = "unknown";
    j["log_lag_events"] = "unknown";
    j["lag_ms"] = "unknown";
  } else {
    auto p_end = std::max(f.primary_end_offset, end);
    auto p_pos = std::max(f.primary_end_position, end_pos);
    j["log_lag_bytes"] = p_pos - end_pos;
    j["log_lag_events"] = p_end - end;
    // The primary's figure in its last heartbeat, 0 once nothing is missing.
    j["lag_ms"] = p_end > end ? f.lag_ms : 0;
  }
  json projections = json::object();
  for (auto& a : node.registry.snapshot())
    if (a.checkpoint)
      projections[a.name] = {{"checkpoint", *a.checkpoint},
                             {"lag", end - std::min(end, *a.checkpoint)}};
  j["projections"] = projections;
  if (auto missing = ha.sources_without_password(); !missing.empty())
    j["sources_without_password"] = missing;
  return j;
}

} // namespace

json replication_status(const runtime::node_context& node) {
  auto log = node.ha->log();
  return node.ha->standby ? standby_status(node, log) : primary_status(node, log);
}

void add_routes(http::router& r, runtime::node_context& node) {
  r.add({"GET", "/monitor/replication", http::role::viewer,
         [&node](http::request&, const http::principal&) {
           return http::json_response(200, replication_status(node));
         }});
  r.add_async("POST", "/api/v1/admin/promote", http::role::admin,
              [&node](http::request&, const http::principal& who, http::responder reply) {
                auto h = node.registry.find(names::replication);
                if (!h)
                  return reply(http::error_response(
                    make_error(ec::unavailable, "replication is restarting; try again")));
                runtime::ask_then<std::string>(
                  *node.system, h, std::chrono::seconds(30),
                  [reply](caf::expected<std::string> r) {
                    if (!r)
                      return reply(http::error_response(r.error()));
                    reply(http::json_response(200, nlohmann::json::parse(*r)));
                  },
                  atom::promote::value, who.user);
              });
}

} // namespace almanac::replication
