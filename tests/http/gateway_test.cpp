// The HTTP layer over a real socket: auth (401/403), routing (404/405),
// body limit (413), malformed JSON (400), each with the JSON error shape.
#define BOOST_TEST_MODULE gateway
#define BOOST_TEST_DYN_LINK
#include <boost/test/unit_test.hpp>

#include "actors/admin/admin_routes.hpp"
#include "actors/http/server.hpp"
#include "messages/error.hpp"
#include "node/cli/http_client.hpp"

#include <unistd.h>

using namespace almanac;
using nlohmann::json;

namespace {

const std::string admin_token = "admin-secret";
const std::string viewer_token = "viewer-secret";

struct fixture {
  runtime::node_context node;
  std::shared_ptr<http::router> routes = std::make_shared<http::router>();
  uint16_t port = 0; // the kernel picks a free one; base has it
  std::unique_ptr<http::server> srv;
  std::string base;

  fixture() {
    node.version = "test";
    node.tokens.put(http::hash_token(admin_token), {"root", http::role::admin});
    node.tokens.put(http::hash_token(viewer_token), {"vera", http::role::viewer});
    admin::add_routes(*routes, node);
    routes->add({"POST", "/api/v1/echo/{name}", http::role::viewer,
                 [](http::request& req, const http::principal& who) {
                   return http::json_response(
                     200, {{"name", req.params["name"]},
                           {"user", who.user},
                           {"body", req.json},
                           {"q", req.query["q"]}});
                 }});
    http::server_limits limits;
    limits.max_body_bytes = 4096;
    srv = std::make_unique<http::server>("127.0.0.1", port, routes, &node.tokens, limits,
                                         std::make_shared<runtime::actor_metrics>());
    auto err = srv->open();
    if (err)
      BOOST_FAIL(render(err));
    base = srv->url();
  }

  cli::http_result call(const std::string& method, const std::string& path,
                        const std::string& token = {},
                        const std::string& body = {}) {
    return cli::call(method, base + path, token, body);
  }
};

// Checks the one error shape and returns the code.
std::string error_code(const cli::http_result& r) {
  auto j = json::parse(r.body, nullptr, false);
  BOOST_REQUIRE_MESSAGE(j.is_object() && j.contains("error"), r.body);
  BOOST_CHECK(j["error"]["code"].is_string());
  BOOST_CHECK(j["error"]["message"].is_string());
  BOOST_CHECK(!j["error"]["message"].get<std::string>().empty());
  return j["error"]["code"].get<std::string>();
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(gateway, fixture)

BOOST_AUTO_TEST_CASE(health_needs_no_token) {
  auto r = call("GET", "/health");
  BOOST_CHECK_EQUAL(r.status, 200);
  auto j = json::parse(r.body);
  BOOST_CHECK_EQUAL(j["status"], "ok");
  BOOST_CHECK_EQUAL(j["role"], "primary");
  BOOST_CHECK(j["uptime_s"].is_number());
  node.failed = true;
  r = call("GET", "/health");
  BOOST_CHECK_EQUAL(r.status, 503);
  BOOST_CHECK_EQUAL(json::parse(r.body)["status"], "failed");
}

BOOST_AUTO_TEST_CASE(missing_or_invalid_token_is_401) {
  auto r = call("GET", "/api/v1/admin/actors");
  BOOST_CHECK_EQUAL(r.status, 401);
  BOOST_CHECK_EQUAL(error_code(r), "unauthenticated");
  r = call("GET", "/api/v1/admin/actors", "wrong-token");
  BOOST_CHECK_EQUAL(r.status, 401);
  BOOST_CHECK_EQUAL(error_code(r), "unauthenticated");
}

BOOST_AUTO_TEST_CASE(valid_token_without_the_role_is_403) {
  auto r = call("GET", "/api/v1/admin/actors", viewer_token);
  BOOST_CHECK_EQUAL(r.status, 403);
  BOOST_CHECK_EQUAL(error_code(r), "forbidden");
  r = call("GET", "/api/v1/admin/actors", admin_token);
  BOOST_CHECK_EQUAL(r.status, 200);
  BOOST_CHECK(json::parse(r.body)["actors"].is_array());
}

BOOST_AUTO_TEST_CASE(unknown_route_is_404_and_wrong_method_405) {
  auto r = call("GET", "/api/v1/nothing-here", admin_token);
  BOOST_CHECK_EQUAL(r.status, 404);
  BOOST_CHECK_EQUAL(error_code(r), "not_found");
  r = call("DELETE", "/api/v1/admin/actors", admin_token);
  BOOST_CHECK_EQUAL(r.status, 405);
  BOOST_CHECK_EQUAL(error_code(r), "method_not_allowed");
  r = call("GET", "/api/v1/admin/actors/x/restart", admin_token);
  BOOST_CHECK_EQUAL(r.status, 405);
}

BOOST_AUTO_TEST_CASE(oversize_body_is_413) {
  auto r = call("POST", "/api/v1/echo/a", viewer_token,
                "{\"x\":\"" + std::string(5000, 'a') + "\"}");
  BOOST_CHECK_EQUAL(r.status, 413);
  BOOST_CHECK_EQUAL(error_code(r), "payload_too_large");
}

BOOST_AUTO_TEST_CASE(malformed_json_is_400) {
  for (std::string body : {"{bad", "[1,2", "{\"a\":}", "nul"}) {
    auto r = call("POST", "/api/v1/echo/a", viewer_token, body);
    BOOST_CHECK_EQUAL(r.status, 400);
    BOOST_CHECK_EQUAL(error_code(r), "bad_request");
  }
}

BOOST_AUTO_TEST_CASE(path_segments_and_query_are_decoded) {
  auto r = call("POST", "/api/v1/echo/urn%3Aalmanac%3Atable%3Apagila.public.film?q=a%20b",
                viewer_token, "{\"k\":[1,2]}");
  BOOST_REQUIRE_EQUAL(r.status, 200);
  auto j = json::parse(r.body);
  BOOST_CHECK_EQUAL(j["name"], "urn:almanac:table:pagila.public.film");
  BOOST_CHECK_EQUAL(j["user"], "vera");
  BOOST_CHECK_EQUAL(j["body"]["k"][1], 2);
  BOOST_CHECK_EQUAL(j["q"], "a b");
}

BOOST_AUTO_TEST_CASE(crash_endpoint_is_off_unless_fault_injection_is_enabled) {
  auto r = call("POST", "/api/v1/admin/actors/http/crash", admin_token);
  BOOST_CHECK_EQUAL(r.status, 403);
  BOOST_CHECK(r.body.find("--enable-fault-injection") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(restart_of_unknown_actor_is_404) {
  auto r = call("POST", "/api/v1/admin/actors/ghost/restart", admin_token);
  BOOST_CHECK_EQUAL(r.status, 404);
  BOOST_CHECK_EQUAL(error_code(r), "not_found");
}

BOOST_AUTO_TEST_SUITE_END()
