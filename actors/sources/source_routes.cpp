#include "actors/sources/source_routes.hpp"

#include "messages/urn.hpp"
#include "actors/sources/connection_rules.hpp"
#include "actors/sources/source_config.hpp"
#include "messages/actors.hpp"
#include "messages/error.hpp"
#include "actors/http/ask_routes.hpp"

#include <caf/all.hpp>

#include <set>

namespace almanac::sources {

namespace {

using nlohmann::json;
using namespace std::chrono_literals;

using http::ask_reply;
using http::ask_reply_then;
using http::request_timeout;

/// Answers `body` with `status` once the catalog state has applied the
/// write at body["offset"] (read-your-writes for the sources API).
void answer_when_applied(runtime::node_context& node, int status, json body,
                         http::responder reply) {
  auto offset = body.value("offset", uint64_t{0});
  http::wait_applied(node, names::catalog_state.name, offset, http::request_timeout(node),
                     [reply, status, body](caf::error err) {
                       if (err)
                         return reply(http::error_response(err));
                       reply(http::json_response(status, body));
                     });
}

// The public view of a source entity: never a secret.
json source_json(const json& entity) {
  auto conn = entity.value("attributes", json::object()).value("connection", json::object());
  json j{{"name", entity.value("name", "")}, {"urn", entity.value("urn", "")},
         {"kind", conn.value("kind", "")}, {"description", entity.value("description", "")}};
  for (auto key : {"dsn", "path", "password_env", "database", "search_path"})
    if (conn.contains(key))
      j[key] = conn[key];
  j["has_password"] = conn.contains("password_ref") || conn.contains("password_env");
  j["compose"] = {{"allow_privileged", compose_allows_privileged(conn)}};
  return j;
}

// A source registered twice is a conflict, found before the secret of the
// existing one would be overwritten.
caf::error refuse_existing(const catalog::catalog_projection& catalog,
                           const std::string& name) {
  auto e = catalog.entity(source_urn(name));
  if (!e)
    return e.error();
  if (*e)
    return make_error(ec::conflict, "entity " + source_urn(name) + " already exists");
  return caf::none;
}

// After DELETE answered `status`: a removed source's secret goes too (also
// when the source was gone already, e.g. removed before secrets were).
caf::error forget_secret(secret_store& secrets, const std::string& name, int status) {
  if (status != 200 && status != 404)
    return caf::none;
  if (auto err = secrets.remove(secret_name(name)))
    return make_error(ec::io_error, "source " + name + " is removed, but its secret "
                                      "is not (try DELETE again): " + message_of(err));
  return caf::none;
}

} // namespace

void add_routes(http::router& r, runtime::node_context& node,
                std::shared_ptr<catalog::catalog_projection> catalog,
                std::shared_ptr<secret_store> secrets) {
  using http::role;
  r.add_async("POST", "/api/v1/sources", role::admin,
              [&node, catalog, secrets](http::request& req, const http::principal& who,
                                        http::responder reply) {
           std::optional<std::string> password;
           auto conn = connection_from(req.json, false, json::object(), password);
           if (!conn)
             return reply(http::error_response(conn.error()));
           if (!req.json.contains("name"))
             return reply(http::error_response(
               make_error(ec::bad_request, "missing required field 'name'")));
           auto name = req.json["name"].get<std::string>();
           if (auto err = catalog::check_name(name))
             return reply(http::error_response(make_error(
               ec::invalid_argument, "field 'name': " + message_of(err))));
           if (auto err = refuse_existing(*catalog, name))
             return reply(http::error_response(err)); // before its secret is replaced
           if (password) {
             auto ref = secret_name(name);
             if (auto err = secrets->put(ref, *password))
               return reply(http::error_response(err));
             (*conn)["password_ref"] = ref;
           }
           json body{{"urn", source_urn(name)}, {"kind", "source"}, {"name", name},
                     {"attributes", {{"connection", *conn}}}};
           if (req.json.contains("description"))
             body["description"] = req.json["description"];
           http::ask_reply_then<register_reply>(
             node, names::catalog,
             [&node, reply, name, secrets, stored = password.has_value()](caf::expected<json> j) {
               if (!j) {
                 if (stored)
                   secrets->remove(secret_name(name)); // no source holds it
                 return reply(http::error_response(j.error()));
               }
               (*j)["name"] = name;
               // Answer once the catalog state has the source: a Compose
               // query or an extraction right after must find it.
               answer_when_applied(node, 201, *j, reply);
             },
             atom::source::value, atom::register_::value, json_body{std::move(body)}, who.user);
         });
  r.add({"GET", "/api/v1/sources", role::admin,
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
  r.add({"GET", "/api/v1/sources/{name}", role::admin,
         [catalog](http::request& req, const http::principal&) {
           auto e = catalog->entity(source_urn(req.params["name"]));
           if (!e)
             return http::error_response(e.error());
           if (!*e)
             return http::error_response(
               make_error(ec::not_found, "no source named '" + req.params["name"] + "'"));
           return http::json_response(200, source_json(**e));
         }});
  r.add_async("PATCH", "/api/v1/sources/{name}", role::admin,
              [&node, catalog, secrets](http::request& req, const http::principal& who,
                                        http::responder reply) {
           auto name = req.params["name"];
           auto e = catalog->entity(source_urn(name));
           if (!e || !*e)
             return reply(http::error_response(
               make_error(ec::not_found, "no source named '" + name + "'")));
           if (req.json.contains("name") || req.json.contains("kind"))
             return reply(http::error_response(make_error(
               ec::bad_request, "a source's name and kind cannot be changed; "
                                "remove it and register it again")));
           auto attrs = (**e).value("attributes", json::object());
           std::optional<std::string> password;
           auto conn = connection_from(req.json, true,
                                       attrs.value("connection", json::object()),
                                       password);
           if (!conn)
             return reply(http::error_response(conn.error()));
           if (password) {
             auto ref = secret_name(name);
             if (auto err = secrets->put(ref, *password))
               return reply(http::error_response(err));
             (*conn)["password_ref"] = ref;
           }
           attrs["connection"] = *conn;
           http::ask_reply_then<edit_reply>(
             node, names::catalog,
             [&node, reply, secrets, name, uses_secret = conn->contains("password_ref")](
               caf::expected<json> j) {
               if (!j)
                 return reply(http::error_response(j.error()));
               if (!uses_secret) // now password_env
                 if (auto err = secrets->remove(secret_name(name)))
                   return reply(http::error_response(err));
               // Answer once the catalog state has the new connection: an
               // extraction or Compose query right after must use it.
               answer_when_applied(node, 200, *j, reply);
             },
             atom::source::value, atom::attributes::value, source_urn(name), json_body{attrs},
             who.user);
         });
  r.add_async("DELETE", "/api/v1/sources/{name}", role::admin,
              [&node, secrets](http::request& req, const http::principal& who,
                               http::responder reply) {
           auto name = req.params["name"];
           http::ask_reply_then<remove_reply>(
             node, names::catalog,
             [&node, reply, secrets, name](caf::expected<json> j) {
               auto status = j ? 200 : http_status(j.error());
               if (auto err = forget_secret(*secrets, name, status))
                 return reply(http::error_response(err));
               if (!j)
                 return reply(http::error_response(j.error()));
               answer_when_applied(node, 200, *j, reply);
             },
             atom::source::value, atom::remove::value, source_urn(name), who.user);
         });
  for (std::string kind : {"extract", "profile", "query-log"}) {
    auto job_kind = kind == "query-log" ? std::string{"query_log"} : kind;
    r.add_async(
      "POST", "/api/v1/sources/{name}/" + kind, role::admin,
      [&node, catalog, job_kind](http::request& req, const http::principal& who,
                                 http::responder reply) {
        auto opts = req.json.is_null() ? json::object() : req.json;
        if (!opts.is_object())
          return reply(http::error_response(
            make_error(ec::bad_request, "the body must be a JSON object")));
        for (auto& [k, v] : opts.items()) {
          if (k != "tables" && k != "full" && k != "sample_rows")
            return reply(
              http::error_response(make_error(ec::bad_request, "unknown field '" + k + "'")));
          if (k == "tables"
              && (!v.is_array()
                  || std::any_of(v.begin(), v.end(), [](auto& x) { return !x.is_string(); })))
            return reply(http::error_response(make_error(
              ec::bad_request, "field 'tables' must be an array of \"schema.table\" strings")));
        }
        auto name = req.params["name"];
        auto submit = [&node, catalog, job_kind, name, opts, user = who.user, reply] {
          auto e = catalog->entity(source_urn(name));
          if (!e || !*e)
            return reply(http::error_response(
              make_error(ec::not_found, "no source named '" + name + "'")));
          ask_reply<job_submitted>(node, names::jobs, 202, reply, atom::submit::value,
                                   job_kind, name, json_body{opts}, user);
        };
        auto e = catalog->entity(source_urn(name));
        if (e && !*e) {
          // Registered a moment ago? Let the catalog state catch up first.
          return http::wait_applied(node, names::catalog_state.name, node.registry.log_end.load() - 1,
                                    request_timeout(node),
                                    [submit, resume = req.resume](caf::error) {
                                      if (resume)
                                        return resume(submit); // reads a store
                                      submit();
                                    });
        }
        submit();
      });
  }
  r.add_async("GET", "/api/v1/jobs", role::viewer,
              [&node](http::request&, const http::principal&, http::responder reply) {
                ask_reply_then<std::vector<job_view>>(
                  node, names::jobs,
                  [reply](caf::expected<json> j) {
                    if (!j)
                      return reply(http::error_response(j.error()));
                    reply(http::json_response(200, {{"jobs", *j}}));
                  },
                  caf::get_atom::value, atom::jobs::value);
              });
  r.add_async("GET", "/api/v1/jobs/{id}", role::viewer,
              [&node](http::request& req, const http::principal&, http::responder reply) {
                ask_reply<job_view>(node, names::jobs, 200, std::move(reply),
                                    caf::get_atom::value, req.params["id"]);
              });
  r.add_async("DELETE", "/api/v1/jobs/{id}", role::admin,
              [&node](http::request& req, const http::principal&, http::responder reply) {
                ask_reply<job_view>(node, names::jobs, 200, std::move(reply),
                                    atom::cancel::value, req.params["id"]);
              });
}

} // namespace almanac::sources
