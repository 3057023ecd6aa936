#include "actors/compose/compose_routes.hpp"

#include "actors/catalog/iso_time.hpp"
#include "actors/lineage/store/query_ingest.hpp"
#include "actors/sources/source_config.hpp"
#include "messages/actors.hpp"
#include "messages/error.hpp"
#include "runtime/ask.hpp"

#include <caf/all.hpp>

#include <map>
#include <mutex>

namespace almanac::compose {

namespace {

using nlohmann::json;
using namespace std::chrono_literals;

/// Executions running now, by id, so that they can be cancelled.
struct running_table {
  std::mutex mtx;
  std::map<std::string, connectors::connector*> by_id;
};

std::string csv_field(const json& v) {
  std::string s = v.is_null() ? "" : v.is_string() ? v.get<std::string>() : v.dump();
  if (s.find_first_of(",\"\n\r") == std::string::npos)
    return s;
  std::string out = "\"";
  for (char c : s)
    out += c == '"' ? std::string{"\"\""} : std::string(1, c);
  return out + "\"";
}

void record(runtime::node_context& node, json payload,
            const catalog::catalog_projection* catalog) {
  auto log = caf::actor_cast<event_log_actor>(node.registry.handle("eventlog"));
  if (!log)
    return;
  std::vector<event_input> evs{{event_tag("ComposeExecuted"),
                                "source:" + payload.value("source", ""),
                                payload.dump()}};
  // Compose executions feed the query store and lineage like any query.
  if (!payload.contains("error"))
    evs.push_back(lineage::observe_query(
      json{{"sql", payload["sql"]}, {"user", payload["user"]},
           {"source", payload["source"]}, {"duration_ms", payload["duration_ms"]},
           {"start_time", payload.value("start_time", "")},
           {"start_ms", payload.value("start_ms", int64_t{0})}},
      "compose", catalog));
  // Acknowledged before we answer: the execution is on record.
  runtime::ask<append_ack>(*node.system, log, 10s, atom::append::value, std::move(evs));
}

caf::expected<uint64_t> bounded(const json& body, const char* key, uint64_t def,
                                uint64_t max) {
  if (!body.contains(key))
    return def;
  auto& v = body[key];
  if (!v.is_number_unsigned())
    return make_error(ec::bad_request, std::string{"field '"} + key
                                         + "' must be a non-negative integer");
  auto x = v.get<uint64_t>();
  if (x == 0 || x > max)
    return make_error(ec::invalid_argument, std::string{"field '"} + key
                                              + "' must be between 1 and "
                                              + std::to_string(max));
  return x;
}

} // namespace

std::string to_csv(const std::vector<std::string>& columns, const json& rows) {
  std::string out;
  for (size_t i = 0; i < columns.size(); ++i)
    out += (i ? "," : "") + csv_field(columns[i]);
  out += "\r\n";
  for (auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i)
      out += (i ? "," : "") + csv_field(row[i]);
    out += "\r\n";
  }
  return out;
}

void add_routes(http::router& r, runtime::node_context& node,
                std::shared_ptr<catalog::catalog_projection> catalog,
                std::shared_ptr<sources::secret_store> secrets) {
  auto running = std::make_shared<running_table>();
  r.add({"POST", "/api/v1/compose/execute", http::role::viewer,
         [&node, catalog, secrets, running](http::request& req,
                                            const http::principal& who) {
           if (who.level == http::role::viewer
               && !node.settings.get_bool("compose.allow_viewers"))
             return http::error_response(make_error(
               ec::forbidden, "Compose needs the steward role (or "
                              "compose.allow_viewers = true)"));
           auto& body = req.json;
           if (!body.is_object())
             return http::error_response(make_error(
               ec::bad_request, "the body must be a JSON object with source and sql"));
           static const std::set<std::string> known{"source", "sql", "limit", "timeout_ms",
                                                    "id", "format", "read_only"};
           for (auto& [k, v] : body.items())
             if (!known.count(k))
               return http::error_response(make_error(ec::bad_request, "unknown field '" + k + "'"));
           for (auto key : {"source", "sql"})
             if (!body.contains(key) || !body[key].is_string())
               return http::error_response(make_error(
                 ec::bad_request, std::string{"missing required string field '"} + key + "'"));
           auto limit = bounded(body, "limit", 1000, 100000);
           if (!limit)
             return http::error_response(limit.error());
           auto timeout = bounded(body, "timeout_ms", 30000, 600000);
           if (!timeout)
             return http::error_response(timeout.error());
           bool read_only = true;
           if (body.contains("read_only")) {
             if (!body["read_only"].is_boolean())
               return http::error_response(make_error(ec::bad_request, "field 'read_only' must be a boolean"));
             read_only = body["read_only"].get<bool>();
             if (!read_only && who.level != http::role::admin)
               return http::error_response(make_error(
                 ec::forbidden, "only admins may run SQL outside a read-only transaction"));
           }
           auto format = body.value("format", std::string{"json"});
           if (format != "json" && format != "csv")
             return http::error_response(make_error(ec::invalid_argument, "field 'format' must be json or csv"));
           auto id = body.value("id", std::string{});
           auto source = body["source"].get<std::string>();
           auto sql = body["sql"].get<std::string>();
           auto cfg = sources::resolve_source(*catalog, *secrets, source);
           if (!cfg)
             return http::error_response(cfg.error());
           auto started = std::chrono::steady_clock::now();
           auto conn = connectors::connect(*cfg);
           caf::expected<connectors::query_result> res = make_error(ec::unspecified);
           if (!conn) {
             res = conn.error();
           } else {
             if (!id.empty()) {
               std::lock_guard<std::mutex> guard{running->mtx};
               running->by_id[id] = conn->get();
             }
             connectors::query_options opts;
             opts.row_limit = *limit;
             opts.timeout = std::chrono::milliseconds(*timeout);
             opts.read_only = read_only;
             res = (*conn)->query(sql, opts);
             if (!id.empty()) {
               std::lock_guard<std::mutex> guard{running->mtx};
               running->by_id.erase(id);
             }
           }
           auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::steady_clock::now() - started).count();
           json event{{"user", who.user}, {"source", source}, {"sql", sql},
                      {"duration_ms", ms}, {"read_only", read_only}};
           if (res) {
             event["rows"] = res->rows.size();
             event["truncated"] = res->truncated;
           } else {
             event["error"] = render(res.error());
           }
           event["start_ms"] = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch()).count();
           event["start_time"] = catalog::iso_time(event["start_ms"].get<int64_t>());
           record(node, event, catalog.get());
           if (!res)
             return http::error_response(res.error());
           if (format == "csv") {
             http::response resp;
             resp.content_type = "text/csv";
             resp.body = to_csv(res->columns, res->rows);
             resp.headers["X-Almanac-Truncated"] = res->truncated ? "true" : "false";
             return resp;
           }
           return http::json_response(200, {{"columns", res->columns},
                                            {"column_types", res->column_types},
                                            {"rows", res->rows},
                                            {"truncated", res->truncated},
                                            {"duration_ms", ms}});
         }});
  r.add({"DELETE", "/api/v1/compose/{id}", http::role::viewer,
         [running](http::request& req, const http::principal&) {
           std::lock_guard<std::mutex> guard{running->mtx};
           auto i = running->by_id.find(req.params["id"]);
           if (i == running->by_id.end())
             return http::error_response(make_error(
               ec::not_found, "no running execution with id '" + req.params["id"] + "'"));
           i->second->cancel();
           return http::json_response(202, {{"id", req.params["id"]}, {"cancelling", true}});
         }});
}

} // namespace almanac::compose
