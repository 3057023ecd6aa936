#include "node/cli/http_client.hpp"

#define _TURN_OFF_PLATFORM_STRING
#include <cpprest/http_client.h>

namespace almanac::cli {

http_result call(const std::string& method, const std::string& url,
                 const std::string& token, const std::string& body,
                 const std::string& if_match) {
  http_result result;
  try {
    web::http::client::http_client_config cfg;
    cfg.set_timeout(std::chrono::seconds(60));
    web::http::client::http_client client{url, cfg};
    web::http::http_request req{method};
    if (!token.empty())
      req.headers().add("Authorization", "Bearer " + token);
    if (!if_match.empty())
      req.headers().add("If-Match", if_match);
    if (!body.empty())
      req.set_body(body, "application/json");
    auto resp = client.request(req).get();
    result.status = resp.status_code();
    result.body = resp.extract_utf8string(true).get();
  } catch (const std::exception& e) {
    result.error = e.what();
  }
  return result;
}

} // namespace almanac::cli
