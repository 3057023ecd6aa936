#include "actors/catalog/catalog_routes.hpp"

#include "actors/catalog/domain/commands.hpp"
#include "messages/time.hpp"
#include "messages/actors.hpp"
#include "messages/error.hpp"
#include "messages/redact.hpp"
#include "actors/http/ask_routes.hpp"

#include <caf/all.hpp>

#include <functional>

namespace almanac::catalog {

namespace {

using namespace std::chrono_literals;
using nlohmann::json;

using http::request_timeout;

// Sends a command to the catalog actor and answers with its reply R.
template <class R, class... Ts>
void command(runtime::node_context& node, int status, http::responder reply, Ts... xs) {
  http::ask_reply<R>(node, names::catalog, status, std::move(reply), std::move(xs)...);
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
  if (auto h = node.registry.find(names::usage))
    caf::anon_send(h, atom::viewed::value, user, urn);
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

/// The answer to a read of `urn`; `found` (if set) adds to an entity found
/// before it is written out.
http::response from_read(caf::expected<std::optional<json>> res,
                         const std::string& urn, http::role level = http::role::viewer,
                         const std::function<void(json&)>& found = nullptr) {
  if (!res)
    return http::error_response(res.error());
  if (!*res)
    return http::error_response(
      make_error(ec::not_found, "no entity " + urn));
  auto j = flatten(std::move(**res));
  if (level != http::role::admin)
    redact_connections(j); // a source's connection is for admins only
  if (found)
    found(j);
  return http::json_response(200, j);
}

} // namespace

void add_routes(http::router& r, runtime::node_context& node,
                std::shared_ptr<catalog::catalog_projection> state,
                std::function<nlohmann::json(const std::string&)> popularity) {
  using http::role;
  r.add_async("POST", "/api/v1/entities", role::steward,
              [&node](http::request& req, const http::principal& who, http::responder reply) {
                if (!req.json.is_object())
                  return reply(http::error_response(make_error(
                    ec::bad_request, "the body must be a JSON object with urn and kind")));
                command<register_reply>(node, 201, std::move(reply), atom::register_::value,
                                        json_body{std::move(req.json)}, who.user);
              });
  r.add_async(
    "GET", "/api/v1/entities/{urn}", role::viewer,
    [&node, state, popularity](http::request& req, const http::principal& who,
                               http::responder reply) {
      http::read_after_min_offset(node, projection_name, req, std::move(reply), [&node, &req, state, popularity, user = who.user, level = who.level] {
        auto& urn = req.params["urn"];
        auto as_of = req.query.find("as_of");
        if (as_of != req.query.end()) {
          auto& v = as_of->second;
          if (!v.empty() && v.find_first_not_of("0123456789") == std::string::npos
              && v.size() <= 19)
            return from_read(state->get_as_of(urn, std::stoull(v)), urn, level);
          auto ms = parse_iso_time(v);
          if (!ms)
            return http::error_response(make_error(
              ec::bad_request, "as_of must be a log offset or an ISO-8601 "
                               "time such as 2026-01-31T12:00:00Z, not '"
                                 + v + "'"));
          return from_read(state->get_as_of_time(urn, *ms), urn, level);
        }
        return from_read(state->get(urn), urn, level, [&](json& j) {
          record_view(node, user, urn);
          if (popularity)
            j["popularity"] = popularity(urn);
        });
      });
    });
  r.add_async("PATCH", "/api/v1/entities/{urn}", role::steward,
              [&node](http::request& req, const http::principal& who, http::responder reply) {
                auto version = if_match(req);
                if (!version)
                  return reply(http::error_response(version.error()));
                if (!req.json.is_object())
                  return reply(http::error_response(make_error(
                    ec::bad_request, "the body must be a JSON object of fields to change")));
                if (req.json.contains(catalog::raw_values_field) && who.level != role::admin)
                  return reply(http::error_response(make_error(
                    ec::forbidden, std::string{"only an admin may set "}
                                     + catalog::raw_values_field)));
                command<edit_reply>(node, 200, std::move(reply), atom::edit::value,
                                    req.params["urn"], json_body{std::move(req.json)},
                                    *version, who.user);
              });
  r.add_async("DELETE", "/api/v1/entities/{urn}", role::steward,
              [&node](http::request& req, const http::principal& who, http::responder reply) {
                auto version = if_match(req);
                if (!version)
                  return reply(http::error_response(version.error()));
                auto cascade = req.query.count("cascade")
                               && req.query.at("cascade") == "true";
                command<remove_reply>(node, 200, std::move(reply), atom::remove::value,
                                      req.params["urn"], *version, cascade, who.user);
              });
  r.add_async("GET", "/api/v1/entities/{urn}/history", role::viewer,
              [&node, state](http::request& req, const http::principal& who,
                             http::responder reply) {
                // Pages of at most 1,000 changes, newest first from ?before.
                auto limit = http::query_uint(req, "limit", 1000, 1000);
                if (!limit)
                  return reply(http::error_response(limit.error()));
                auto before = http::query_uint(req, "before", 0, UINT64_MAX - 1);
                if (!before)
                  return reply(http::error_response(before.error()));
                if (*limit == 0)
                  return reply(http::error_response(
                    make_error(ec::invalid_argument, "limit must be at least 1")));
                http::read_after_min_offset(
                  node, projection_name, req, std::move(reply),
                  [&req, state, level = who.level, limit = *limit, before = *before] {
                    return from_read(state->history(req.params["urn"], limit, before),
                                     req.params["urn"], level);
                  });
              });
  // Users and tokens: the answer waits until the projection has applied the
  // change, so a new token works (and a revoked one fails) at once.
  auto account_command = [&node](auto answer, int status, http::responder reply,
                                 auto... xs) {
    using reply_type = decltype(answer);
    http::ask_actor<reply_type>(
      node, names::catalog, request_timeout(node),
      [&node, status, reply](caf::expected<reply_type> res) {
        if (!res)
          return reply(http::error_response(res.error()));
        json body = *res;
        http::wait_applied(node, projection_name, res->offset, request_timeout(node),
                           [reply, status, body](caf::error err) {
                             if (err)
                               return reply(http::error_response(err));
                             reply(http::json_response(status, body));
                           });
      },
      xs...);
  };
  r.add_async("POST", "/api/v1/users", role::admin,
              [account_command](http::request& req, const http::principal& who,
                                http::responder reply) {
                account_command(token_reply{}, 201, std::move(reply), atom::user::value,
                                json_body{std::move(req.json)}, who.user);
              });
  // Who the caller's token says they are; reads nothing (the HTTP floor
  // of api_bench: everything a GET costs but the projection read).
  r.add_async("GET", "/api/v1/whoami", role::viewer,
              [](http::request&, const http::principal& who, http::responder reply) {
                reply(http::json_response(200, {{"user", who.user},
                                                {"role", runtime::to_string(who.level)}}));
              });
  r.add_async("GET", "/api/v1/users", role::admin,
              [&node, state](http::request& req, const http::principal&, http::responder reply) {
                http::read_after_min_offset(node, projection_name, req, std::move(reply), [state] {
                  auto users = state->users();
                  if (!users)
                    return http::error_response(users.error());
                  return http::json_response(200, {{"users", *users}});
                });
              });
  r.add_async("POST", "/api/v1/tokens", role::admin,
              [account_command](http::request& req, const http::principal& who,
                                http::responder reply) {
                account_command(token_reply{}, 201, std::move(reply), atom::token::value,
                                json_body{std::move(req.json)}, who.user);
              });
  r.add_async("GET", "/api/v1/tokens", role::admin,
              [&node, state](http::request& req, const http::principal&, http::responder reply) {
                auto user = req.query.count("user") ? req.query.at("user") : "";
                if (user.empty())
                  return reply(http::error_response(make_error(
                    ec::bad_request, "query parameter user is required")));
                http::read_after_min_offset(node, projection_name, req, std::move(reply),
                                            [state, user] {
                                              auto tokens = state->tokens_of(user);
                                              if (!tokens)
                                                return http::error_response(tokens.error());
                                              return http::json_response(
                                                200, {{"user", user}, {"tokens", *tokens}});
                                            });
              });
  r.add_async("DELETE", "/api/v1/tokens/{id}", role::admin,
              [account_command](http::request& req, const http::principal& who,
                                http::responder reply) {
                account_command(revoke_reply{}, 200, std::move(reply), atom::revoke::value,
                                req.params["id"], who.user);
              });
}

} // namespace almanac::catalog
