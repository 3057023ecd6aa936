// Fuzzes the HTTP edge as the gateway runs it (actors/http/server.cpp):
// bytes -> Boost.Beast's request_parser<string_body> (16 KiB of headers,
// 1 MiB of body, as server_limits' defaults) -> to_request (the gateway's
// own conversion: path segments, percent-decoding, parse_query, headers) ->
// router::dispatch on a router with synchronous, asynchronous, throwing and
// silent test routes and a token table. Up to four pipelined requests per
// input while the client keeps the connection alive.
// Checks: nothing throws out of dispatch; every request gets exactly one
// answer, with a known status and a body that is JSON.

#include "fuzz/fuzz_check.hpp"
#include "actors/http/auth.hpp"
#include "actors/http/beast_request.hpp"
#include "actors/http/router.hpp"

#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <spdlog/spdlog.h>

#include <cstdint>
#include <cstdlib>
#include <set>
#include <stdexcept>
#include <string>

using namespace almanac::http;
namespace bh = boost::beast::http;
using json = nlohmann::json;

namespace {

struct fixture {
  fixture() {
    spdlog::set_level(spdlog::level::off);
    tokens.put(hash_token("viewer-token"), {"vera", role::viewer});
    tokens.put(hash_token("steward-token"), {"stan", role::steward});
    tokens.put(hash_token("admin-token"), {"ada", role::admin});
    tokens.set_fallback([](const std::string& hash) -> std::optional<principal> {
      if (hash == hash_token("issued-token"))
        return principal{"ivy", role::steward};
      return std::nullopt;
    });
    routes.add({"GET", "/health", std::nullopt,
                [](request&, const principal&) { return json_response(200, {{"ok", true}}); }});
    routes.add({"GET", "/api/v1/entities/{urn}", role::viewer,
                [](request& req, const principal& who) {
                  auto limit = query_uint(req, "limit", 10, 1000);
                  if (!limit)
                    return error_response(limit.error());
                  return json_response(200, {{"urn", req.params["urn"]},
                                             {"limit", *limit},
                                             {"user", who.user},
                                             {"query", req.query}});
                }});
    routes.add({"POST", "/api/v1/entities", role::steward,
                [](request& req, const principal&) { return json_response(201, req.json); }});
    routes.add({"POST", "/api/v1/queries", role::steward,
                [](request& req, const principal&) {
                  return json_response(202, {{"bytes", req.body.size()}});
                },
                body_kind::raw});
    routes.add({"PUT", "/api/v1/fail/{what}", role::admin,
                [](request& req, const principal&) -> response {
                  throw std::runtime_error("failing on purpose: " + req.params["what"]);
                }});
    routes.add_async("GET", "/api/v1/lineage/{urn}", role::viewer,
                     [](request& req, const principal&, responder reply) {
                       reply(json_response(200, {{"root", req.params["urn"]},
                                                 {"segments", req.segments}}));
                     });
    // Never answers: once() must answer 500 when the responder goes.
    routes.add_async("DELETE", "/api/v1/entities/{urn}", role::admin,
                     [](request&, const principal&, responder) {});
  }

  router routes;
  token_table tokens;
};

/// Answers one parsed request as the gateway would; false to close.
bool serve(const fixture& f, beast_request&& msg) {
  bool keep = msg.keep_alive();
  size_t fields = std::distance(msg.begin(), msg.end());
  if (fields > 100)
    return false; // 431 in the gateway, before any route runs
  auto req = to_request(std::move(msg));
  f.routes.is_public(*req);
  int answers = 0;
  response got;
  f.routes.dispatch(req, f.tokens, [&](response resp) {
    ++answers;
    got = std::move(resp);
  });
  FUZZ_CHECK(answers == 1);
  static const std::set<int> statuses{200, 201, 202, 400, 401, 403, 404, 405, 422, 500};
  FUZZ_CHECK(statuses.count(got.status) == 1);
  FUZZ_CHECK(!json::parse(got.body, nullptr, false).is_discarded());
  return keep;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const fixture f;
  boost::asio::const_buffer rest(data, size);
  for (int n = 0; n < 4 && rest.size() > 0; ++n) {
    bh::request_parser<bh::string_body> parser;
    parser.header_limit(16 * 1024);
    parser.body_limit(1 << 20);
    parser.eager(true);
    boost::system::error_code ec;
    // All bytes are at hand: need_more then means the client stopped there.
    for (int steps = 0; !parser.is_done(); ++steps) {
      FUZZ_CHECK(steps < 100000);
      auto used = parser.put(rest, ec);
      rest += used;
      if (ec == bh::error::need_more || (!ec && used == 0)) {
        ec = {};
        parser.put_eof(ec);
        break;
      }
      if (ec)
        break;
    }
    if (ec || !parser.is_done())
      return 0; // the gateway answers 400/413/431 and closes
    if (!serve(f, parser.release()))
      return 0;
  }
  return 0;
}
