#include "actors/catalog_service/catalog_routes.hpp"

#include "actors/catalog/iso_time.hpp"
#include "messages/actors.hpp"
#include "messages/error.hpp"
#include "runtime/ask.hpp"

#include <caf/all.hpp>

namespace almanac::catalog_service {

namespace {

using namespace std::chrono_literals;
using nlohmann::json;

std::chrono::milliseconds request_timeout(runtime::node_context& node) {
  return std::chrono::milliseconds(
    node.settings.get_uint("http.request_timeout_ms"));
}

// Waits until the catalog projection has applied `offset` (read-your-writes).
caf::error wait_applied(runtime::node_context& node, uint64_t offset,
                        std::chrono::milliseconds timeout) {
  auto h = node.registry.handle(projection_name);
  if (!h)
    return make_error(ec::unavailable, "the catalog projection is restarting");
  auto res = runtime::ask<uint64_t>(
    *node.system, caf::actor_cast<projection_actor>(h), timeout + 1s,
    atom::wait::value, offset + 1, static_cast<uint64_t>(timeout.count()));
  if (!res)
    return res.error();
  return caf::none;
}

// Honors ?min_offset=N before a read.
caf::error honor_min_offset(runtime::node_context& node, http::request& req) {
  auto min = http::query_uint(req, "min_offset", UINT64_MAX, UINT64_MAX - 1);
  if (!min)
    return min.error();
  if (*min == UINT64_MAX)
    return caf::none;
  return wait_applied(node, *min, request_timeout(node));
}

catalog_actor catalog_of(runtime::node_context& node) {
  return caf::actor_cast<catalog_actor>(node.registry.handle("catalog"));
}

// Sends a command to the catalog actor and answers with its JSON reply.
template <class... Ts>
http::response command(runtime::node_context& node, int status, Ts&&... xs) {
  auto cat = catalog_of(node);
  if (!cat)
    return http::error_response(
      make_error(ec::unavailable, "the catalog is restarting; try again"));
  auto res = runtime::ask<std::string>(*node.system, cat, request_timeout(node),
                                       std::forward<Ts>(xs)...);
  if (!res) {
    auto err = res.error();
    if (err == caf::sec::request_receiver_down
        || err == caf::sec::request_timeout)
      err = make_error(ec::unavailable,
                       "the catalog did not answer in time; try again");
    return http::error_response(err);
  }
  return http::json_response(status, json::parse(*res));
}

// Parses If-Match: 3, "3" or W/"3" -> 3; absent -> -1.
caf::expected<int64_t> if_match(const http::request& req) {
  auto v = req.header("if-match");
  if (v.empty())
    return int64_t{-1};
  if (v.rfind("W/", 0) == 0)
    v = v.substr(2);
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"')
    v = v.substr(1, v.size() - 2);
  if (v.empty() || v.size() > 18 || v.find_first_not_of("0123456789") != std::string::npos)
    return make_error(ec::bad_request,
                      "If-Match must be an entity version such as \"3\", not '"
                        + req.header("if-match") + "'");
  return static_cast<int64_t>(std::stoll(v));
}

// Tells the usage actor that `user` viewed `urn` (fire and forget).
void record_view(runtime::node_context& node, const std::string& user,
                 const std::string& urn) {
  if (auto h = node.registry.handle("usage"))
    caf::anon_send(caf::actor_cast<usage_actor>(h), atom::viewed::value, user,
                   urn);
}

// Extracted facts (data_type, nullable, ordinal, definition, profile, ...)
// also appear at the top level of an entity, next to the curated fields.
json flatten(json entity) {
  if (!entity.contains("attributes") || !entity["attributes"].is_object())
    return entity;
  for (auto& [k, v] : entity["attributes"].items())
    if (!entity.contains(k) && k != "connection")
      entity[k] = v;
  return entity;
}

http::response from_read(caf::expected<std::optional<json>> res,
                         const std::string& urn) {
  if (!res)
    return http::error_response(res.error());
  if (!*res)
    return http::error_response(
      make_error(ec::not_found, "no entity " + urn));
  return http::json_response(200, flatten(std::move(**res)));
}

} // namespace

void add_routes(http::router& r, runtime::node_context& node,
                std::shared_ptr<catalog::catalog_projection> state,
                std::function<nlohmann::json(const std::string&)> popularity) {
  using http::role;
  r.add({"POST", "/api/v1/entities", role::steward,
         [&node](http::request& req, const http::principal& who) {
           if (!req.json.is_object())
             return http::error_response(make_error(
               ec::bad_request, "the body must be a JSON object with urn and kind"));
           return command(node, 201, atom::register_::value, req.json.dump(),
                          who.user);
         }});
  r.add({"GET", "/api/v1/entities/{urn}", role::viewer,
         [&node, state, popularity](http::request& req, const http::principal& who) {
           if (auto err = honor_min_offset(node, req))
             return http::error_response(err);
           auto& urn = req.params["urn"];
           auto as_of = req.query.find("as_of");
           if (as_of != req.query.end()) {
             auto& v = as_of->second;
             if (!v.empty() && v.find_first_not_of("0123456789") == std::string::npos
                 && v.size() <= 19)
               return from_read(state->get_as_of(urn, std::stoull(v)), urn);
             auto ms = catalog::parse_iso_time(v);
             if (!ms)
               return http::error_response(make_error(
                 ec::bad_request, "as_of must be a log offset or an ISO-8601 "
                                  "time such as 2026-01-31T12:00:00Z, not '"
                                    + v + "'"));
             return from_read(state->get_as_of_time(urn, *ms), urn);
           }
           auto resp = from_read(state->get(urn), urn);
           if (resp.status == 200) {
             record_view(node, who.user, urn);
             if (popularity) {
               auto j = json::parse(resp.body);
               j["popularity"] = popularity(urn);
               resp = http::json_response(200, j);
             }
           }
           return resp;
         }});
  r.add({"PATCH", "/api/v1/entities/{urn}", role::steward,
         [&node](http::request& req, const http::principal& who) {
           auto version = if_match(req);
           if (!version)
             return http::error_response(version.error());
           if (!req.json.is_object())
             return http::error_response(make_error(
               ec::bad_request, "the body must be a JSON object of fields to change"));
           return command(node, 200, atom::edit::value, req.params["urn"],
                          req.json.dump(), *version, who.user);
         }});
  r.add({"DELETE", "/api/v1/entities/{urn}", role::steward,
         [&node](http::request& req, const http::principal& who) {
           auto version = if_match(req);
           if (!version)
             return http::error_response(version.error());
           auto cascade = req.query.count("cascade")
                          && req.query.at("cascade") == "true";
           return command(node, 200, atom::remove::value, req.params["urn"],
                          *version, cascade, who.user);
         }});
  r.add({"GET", "/api/v1/entities/{urn}/history", role::viewer,
         [&node, state](http::request& req, const http::principal&) {
           if (auto err = honor_min_offset(node, req))
             return http::error_response(err);
           return from_read(state->history(req.params["urn"]), req.params["urn"]);
         }});
  // Users and tokens: the answer waits until the projection has applied the
  // change, so a new token works (and a revoked one fails) at once.
  auto account_command = [&node](int status, auto... xs) {
    auto resp = command(node, status, xs...);
    if (resp.status >= 200 && resp.status < 300) {
      auto offset = json::parse(resp.body).value("offset", uint64_t{0});
      if (auto err = wait_applied(node, offset, request_timeout(node)))
        return http::error_response(err);
    }
    return resp;
  };
  r.add({"POST", "/api/v1/users", role::admin,
         [account_command](http::request& req, const http::principal& who) {
           return account_command(201, atom::user::value, req.json.dump(), who.user);
         }});
  r.add({"GET", "/api/v1/users", role::admin,
         [&node, state](http::request& req, const http::principal&) {
           if (auto err = honor_min_offset(node, req))
             return http::error_response(err);
           auto users = state->users();
           if (!users)
             return http::error_response(users.error());
           return http::json_response(200, {{"users", *users}});
         }});
  r.add({"POST", "/api/v1/tokens", role::admin,
         [account_command](http::request& req, const http::principal& who) {
           return account_command(201, atom::token::value, req.json.dump(), who.user);
         }});
  r.add({"GET", "/api/v1/tokens", role::admin,
         [&node, state](http::request& req, const http::principal&) {
           if (auto err = honor_min_offset(node, req))
             return http::error_response(err);
           auto user = req.query.count("user") ? req.query.at("user") : "";
           if (user.empty())
             return http::error_response(make_error(
               ec::bad_request, "query parameter user is required"));
           auto tokens = state->tokens_of(user);
           if (!tokens)
             return http::error_response(tokens.error());
           return http::json_response(200, {{"user", user}, {"tokens", *tokens}});
         }});
  r.add({"DELETE", "/api/v1/tokens/{id}", role::admin,
         [account_command](http::request& req, const http::principal& who) {
           return account_command(200, atom::revoke::value, req.params["id"],
                                  who.user);
         }});
}

} // namespace almanac::catalog_service
