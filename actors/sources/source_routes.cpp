#include "actors/sources/source_routes.hpp"

#include "actors/catalog/urn.hpp"
#include "actors/sources/source_config.hpp"
#include "messages/actors.hpp"
#include "messages/error.hpp"
#include "runtime/ask.hpp"

#include <caf/all.hpp>

#include <set>

namespace almanac::sources {

namespace {

using nlohmann::json;
using namespace std::chrono_literals;

std::chrono::milliseconds timeout_of(runtime::node_context& node) {
  return std::chrono::milliseconds(node.settings.get_uint("http.request_timeout_ms"));
}

template <class Handle, class... Ts>
http::response ask_json(runtime::node_context& node, const char* actor, int status,
                        Ts&&... xs) {
  auto h = node.registry.handle(actor);
  if (!h)
    return http::error_response(
      make_error(ec::unavailable, std::string{actor} + " is restarting; try again"));
  auto res = runtime::ask<std::string>(*node.system, caf::actor_cast<Handle>(h),
                                       timeout_of(node), std::forward<Ts>(xs)...);
  if (!res)
    return http::error_response(res.error());
  return http::json_response(status, json::parse(*res));
}

// Waits (bounded) until the catalog state has applied the whole log.
void catch_up(runtime::node_context& node) {
  auto h = node.registry.handle("catalog_state");
  if (!h)
    return;
  runtime::ask<uint64_t>(*node.system, caf::actor_cast<projection_actor>(h),
                         timeout_of(node) + 1s, atom::wait::value,
                         node.registry.log_end.load(),
                         static_cast<uint64_t>(timeout_of(node).count()));
}

// The public view of a source entity: never a secret.
json source_json(const json& entity) {
  auto conn = entity.value("attributes", json::object()).value("connection", json::object());
  json j{{"name", entity.value("name", "")}, {"urn", entity.value("urn", "")},
         {"kind", conn.value("kind", "")}, {"description", entity.value("description", "")}};
  for (auto key : {"dsn", "path", "password_env"})
    if (conn.contains(key))
      j[key] = conn[key];
  j["has_password"] = conn.contains("password_ref") || conn.contains("password_env");
  return j;
}

// Validates a source body into connection attributes (and a secret to store).
caf::expected<json> connection_from(const json& body, bool partial, json base,
                                    std::optional<std::string>& password) {
  static const std::set<std::string> known{"name", "kind", "dsn", "path", "password",
                                           "password_env", "description"};
  if (!body.is_object())
    return make_error(ec::bad_request, "the body must be a JSON object");
  for (auto& [k, v] : body.items()) {
    if (!known.count(k))
      return make_error(ec::bad_request, "unknown field '" + k + "'");
    if (!v.is_string())
      return make_error(ec::bad_request, "field '" + k + "' must be a string");
  }
  if (body.contains("kind")) {
    auto kinds = connectors::connector_kinds();
    auto kind = body["kind"].get<std::string>();
    if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) {
      std::string all;
      for (auto& k : kinds)
        all += (all.empty() ? "" : ", ") + k;
      return make_error(ec::invalid_argument, "field 'kind': unknown connector '"
                                                + kind + "' (known: " + all + ")");
    }
    base["kind"] = kind;
  } else if (!partial) {
    return make_error(ec::bad_request, "missing required field 'kind'");
  }
  for (auto key : {"dsn", "path", "password_env"})
    if (body.contains(key))
      base[key] = body[key];
  if (base.value("dsn", "").find("password") != std::string::npos)
    return make_error(ec::invalid_argument,
                      "field 'dsn' must not contain the password (the dsn is "
                      "stored in the event log): use password_env or password");
  if (body.contains("password")) {
    password = body["password"].get<std::string>();
    base.erase("password_env");
  }
  if (body.contains("password_env"))
    base.erase("password_ref");
  auto kind = base.value("kind", "");
  if (kind == "postgresql" && base.value("dsn", "").empty())
    return make_error(ec::bad_request, "missing required field 'dsn' for a postgresql source");
  if (kind == "sqlite" && base.value("path", "").empty())
    return make_error(ec::bad_request, "missing required field 'path' for a sqlite source");
  return base;
}

} // namespace

void add_routes(http::router& r, runtime::node_context& node,
                std::shared_ptr<catalog::catalog_projection> catalog,
                std::shared_ptr<secret_store> secrets) {
  using http::role;
  r.add({"POST", "/api/v1/sources", role::admin,
         [&node, secrets](http::request& req, const http::principal& who) {
           std::optional<std::string> password;
           auto conn = connection_from(req.json, false, json::object(), password);
           if (!conn)
             return http::error_response(conn.error());
           if (!req.json.contains("name"))
             return http::error_response(
               make_error(ec::bad_request, "missing required field 'name'"));
           auto name = req.json["name"].get<std::string>();
           if (auto err = catalog::check_name(name))
             return http::error_response(make_error(
               ec::invalid_argument, "field 'name': " + message_of(err)));
           if (password) {
             auto ref = "source:" + name;
             if (auto err = secrets->put(ref, *password))
               return http::error_response(err);
             (*conn)["password_ref"] = ref;
           }
           json body{{"urn", source_urn(name)}, {"kind", "source"}, {"name", name},
                     {"attributes", {{"connection", *conn}}}};
           if (req.json.contains("description"))
             body["description"] = req.json["description"];
           auto resp = ask_json<catalog_actor>(node, "catalog", 201,
                                               atom::register_::value, body.dump(),
                                               who.user);
           if (resp.status == 201) {
             auto j = json::parse(resp.body);
             j["name"] = name;
             resp = http::json_response(201, j);
           }
           return resp;
         }});
  r.add({"GET", "/api/v1/sources", role::viewer,
         [catalog](http::request&, const http::principal&) {
           auto urns = catalog->list("urn:almanac:source:", 10000);
           if (!urns)
             return http::error_response(urns.error());
           auto arr = json::array();
           for (auto& u : *urns)
             if (auto e = catalog->entity(u); e && *e)
               arr.push_back(source_json(**e));
           return http::json_response(200, {{"sources", arr}});
         }});
  r.add({"GET", "/api/v1/sources/{name}", role::viewer,
         [catalog](http::request& req, const http::principal&) {
           auto e = catalog->entity(source_urn(req.params["name"]));
           if (!e)
             return http::error_response(e.error());
           if (!*e)
             return http::error_response(
               make_error(ec::not_found, "no source named '" + req.params["name"] + "'"));
           return http::json_response(200, source_json(**e));
         }});
  r.add({"PATCH", "/api/v1/sources/{name}", role::admin,
         [&node, catalog, secrets](http::request& req, const http::principal& who) {
           auto name = req.params["name"];
           auto e = catalog->entity(source_urn(name));
           if (!e || !*e)
             return http::error_response(
               make_error(ec::not_found, "no source named '" + name + "'"));
           if (req.json.contains("name") || req.json.contains("kind"))
             return http::error_response(make_error(
               ec::bad_request, "a source's name and kind cannot be changed; "
                                "remove it and register it again"));
           auto attrs = (**e).value("attributes", json::object());
           std::optional<std::string> password;
           auto conn = connection_from(req.json, true,
                                       attrs.value("connection", json::object()),
                                       password);
           if (!conn)
             return http::error_response(conn.error());
           if (password) {
             auto ref = "source:" + name;
             if (auto err = secrets->put(ref, *password))
               return http::error_response(err);
             (*conn)["password_ref"] = ref;
           }
           attrs["connection"] = *conn;
           return ask_json<catalog_actor>(node, "catalog", 200, atom::attributes::value,
                                          source_urn(name), attrs.dump(), who.user);
         }});
  r.add({"DELETE", "/api/v1/sources/{name}", role::admin,
         [&node, secrets](http::request& req, const http::principal& who) {
           auto name = req.params["name"];
           auto resp = ask_json<catalog_actor>(node, "catalog", 200, atom::remove::value,
                                               source_urn(name), int64_t{-1}, true,
                                               who.user);
           if (resp.status == 200)
             secrets->remove("source:" + name);
           return resp;
         }});
  for (std::string kind : {"extract", "profile", "query-log"}) {
    auto job_kind = kind == "query-log" ? std::string{"query_log"} : kind;
    r.add({"POST", "/api/v1/sources/{name}/" + kind, role::admin,
           [&node, catalog, job_kind](http::request& req, const http::principal& who) {
             auto name = req.params["name"];
             auto e = catalog->entity(source_urn(name));
             if (e && !*e) {
               // Registered a moment ago? Let the catalog state catch up.
               catch_up(node);
               e = catalog->entity(source_urn(name));
             }
             if (!e || !*e)
               return http::error_response(
                 make_error(ec::not_found, "no source named '" + name + "'"));
             auto opts = req.json.is_null() ? json::object() : req.json;
             if (!opts.is_object())
               return http::error_response(
                 make_error(ec::bad_request, "the body must be a JSON object"));
             for (auto& [k, v] : opts.items()) {
               if (k != "tables" && k != "full" && k != "sample_rows")
                 return http::error_response(make_error(ec::bad_request, "unknown field '" + k + "'"));
               if (k == "tables" && (!v.is_array() || std::any_of(v.begin(), v.end(), [](auto& x) { return !x.is_string(); })))
                 return http::error_response(make_error(
                   ec::bad_request, "field 'tables' must be an array of \"schema.table\" strings"));
             }
             return ask_json<jobs_actor>(node, "jobs", 202, atom::submit::value, job_kind,
                                         name, opts.dump(), who.user);
           }});
  }
  r.add({"GET", "/api/v1/jobs", role::viewer,
         [&node](http::request&, const http::principal&) {
           auto resp = ask_json<jobs_actor>(node, "jobs", 200, caf::get_atom::value,
                                            atom::jobs::value);
           if (resp.status == 200)
             resp = http::json_response(200, {{"jobs", json::parse(resp.body)}});
           return resp;
         }});
  r.add({"GET", "/api/v1/jobs/{id}", role::viewer,
         [&node](http::request& req, const http::principal&) {
           return ask_json<jobs_actor>(node, "jobs", 200, caf::get_atom::value,
                                       req.params["id"]);
         }});
  r.add({"DELETE", "/api/v1/jobs/{id}", role::admin,
         [&node](http::request& req, const http::principal&) {
           return ask_json<jobs_actor>(node, "jobs", 200, atom::cancel::value,
                                       req.params["id"]);
         }});
}

} // namespace almanac::sources
