#include "actors/compose/compose_routes.hpp"

#include "messages/time.hpp"
#include "actors/compose/compose_guard.hpp"
#include "actors/lineage/store/query_ingest.hpp"
#include "actors/sources/source_config.hpp"
#include "messages/actors.hpp"
#include "messages/error.hpp"
#include "messages/event_types.hpp"
#include "messages/random.hpp"
#include "runtime/ask.hpp"

#include <caf/all.hpp>

#include <atomic>
#include <map>
#include <thread>
#include <mutex>

namespace almanac::compose {

namespace {

using nlohmann::json;
using namespace std::chrono_literals;

/// One execution running now.
struct running_query {
  std::string user;      ///< Who runs it: only they (or an admin) may cancel it.
  std::string client_id; ///< The client's own "id" for it, if it gave one.
  std::string source;
  std::string started;   ///< ISO-8601.
  connectors::connector* conn = nullptr;
};

/// Executions running now, by their server-generated id.
struct running_table {
  std::mutex mtx;
  std::map<std::string, running_query> by_id;
  std::atomic<int> threads{0};

  /// The server id of `key` (a server id, or a client id of `who`'s own)
  /// that `who` may cancel; empty if none.
  std::string find(const std::string& key, const http::principal& who) {
    auto may = [&](const running_query& q) {
      return q.user == who.user || who.level == http::role::admin;
    };
    auto i = by_id.find(key);
    if (i != by_id.end() && may(i->second))
      return key;
    for (auto& [id, q] : by_id)
      if (q.client_id == key && q.user == who.user)
        return id;
    return {};
  }
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

void record(runtime::node_context& node, const ev::compose_executed& e,
            const catalog::catalog_projection* catalog) {
  auto log = node.registry.find(names::eventlog);
  if (!log)
    return;
  std::vector<event_input> evs{ev::to_event(e, "source:" + e.source)};
  // Compose executions feed the query store and lineage like any query.
  if (!e.error)
    evs.push_back(lineage::observe_query(
      json{{"sql", e.sql}, {"user", e.user}, {"source", e.source},
           {"duration_ms", e.duration_ms}, {"start_time", e.start_time},
           {"start_ms", e.start_ms}},
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

// Runs one Compose request to its answer (on a Compose thread).
static http::response execute(runtime::node_context& node,
                       const std::shared_ptr<catalog::catalog_projection>& catalog,
                       const std::shared_ptr<sources::secret_store>& secrets,
                       const std::shared_ptr<running_table>& running, http::request& req,
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
           auto random = random_hex(8);
           if (!random)
             return http::error_response(random.error());
           auto execution_id = "cq-" + *random;
           auto conn = connect_for_compose(*cfg, sql);
           caf::expected<connectors::query_result> res = make_error(ec::unspecified);
           if (!conn) {
             res = conn.error();
           } else {
             {
               std::lock_guard<std::mutex> guard{running->mtx};
               running->by_id[execution_id] = running_query{
                 who.user, id, source,
                 iso_time(now_ms()),
                 conn->get()};
             }
             connectors::query_options opts;
             opts.row_limit = *limit;
             opts.byte_limit = node.settings.get_uint("compose.max_result_bytes");
             opts.timeout = std::chrono::milliseconds(*timeout);
             opts.read_only = read_only;
             res = (*conn)->query(sql, opts);
             std::lock_guard<std::mutex> guard{running->mtx};
             running->by_id.erase(execution_id);
           }
           auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::steady_clock::now() - started).count();
           ev::compose_executed event;
           event.user = who.user;
           event.source = source;
           event.sql = sql;
           event.duration_ms = ms;
           event.read_only = read_only;
           event.execution_id = execution_id;
           if (res) {
             event.rows = res->rows.size();
             event.truncated = res->truncated;
             event.bytes = res->bytes;
           } else {
             event.error = render(res.error());
           }
           event.start_ms = now_ms();
           event.start_time = iso_time(event.start_ms);
           record(node, event, catalog.get());
           if (!res)
             return http::error_response(res.error());
           if (format == "csv") {
             http::response resp;
             resp.content_type = "text/csv";
             resp.body = to_csv(res->columns, res->rows);
             resp.headers["X-Almanac-Truncated"] = res->truncated ? "true" : "false";
             resp.headers["X-Almanac-Execution-Id"] = execution_id;
             return resp;
           }
           json answer{{"columns", res->columns},
                       {"column_types", res->column_types},
                       {"rows", res->rows},
                       {"truncated", res->truncated},
                       {"bytes", res->bytes},
                       {"execution_id", execution_id},
                       {"duration_ms", ms}};
           if (res->truncated)
             answer["truncated_by"] = res->truncated_by;
           return http::json_response(200, answer);
         }

void add_routes(http::router& r, runtime::node_context& node,
                std::shared_ptr<catalog::catalog_projection> catalog,
                std::shared_ptr<sources::secret_store> secrets) {
  auto running = std::make_shared<running_table>();
  r.add_async("POST", "/api/v1/compose/execute", http::role::viewer,
              [&node, catalog, secrets, running](http::request& req, const http::principal& who,
                                                 http::responder reply) {
    // The query runs on a thread of its own (it may take minutes); the
    // gateway's threads never wait for it.
    if (running->threads.fetch_add(1)
        >= static_cast<int>(node.settings.get_uint("compose.max_running"))) {
      running->threads.fetch_sub(1);
      auto resp = http::error_response(make_error(
        ec::unavailable, "too many Compose queries are running on this node; try again"));
      resp.headers["Retry-After"] = "1";
      return reply(std::move(resp));
    }
    std::thread([&node, catalog, secrets, running, &req, who, reply] {
      reply(execute(node, catalog, secrets, running, req, who));
      running->threads.fetch_sub(1);
      runtime::release_thread();
    }).detach();
  });
  r.add({"GET", "/api/v1/compose/running", http::role::viewer,
         [running](http::request&, const http::principal& who) {
           std::lock_guard<std::mutex> guard{running->mtx};
           auto arr = json::array();
           for (auto& [id, q] : running->by_id)
             if (q.user == who.user || who.level == http::role::admin)
               arr.push_back({{"execution_id", id}, {"id", q.client_id}, {"user", q.user},
                              {"source", q.source}, {"started", q.started}});
           return http::json_response(200, {{"running", arr}});
         }});
  // Cancels an execution by its execution_id, or by the client's own id;
  // only its user or an admin may (others get 404, as for a missing one).
  r.add({"DELETE", "/api/v1/compose/{id}", http::role::viewer,
         [running](http::request& req, const http::principal& who) {
           std::lock_guard<std::mutex> guard{running->mtx};
           auto id = running->find(req.params["id"], who);
           if (id.empty())
             return http::error_response(make_error(
               ec::not_found, "no running execution of yours with id '" + req.params["id"]
                                + "' (GET /api/v1/compose/running lists them)"));
           running->by_id[id].conn->cancel();
           return http::json_response(
             202, {{"id", req.params["id"]}, {"execution_id", id}, {"cancelling", true}});
         }});
}

} // namespace almanac::compose
