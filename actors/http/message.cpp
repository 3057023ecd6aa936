#include "actors/http/message.hpp"
#include "messages/log_limit.hpp"

#include "messages/error.hpp"

#include <spdlog/spdlog.h>

namespace almanac::http {

std::string request::header(const std::string& name,
                            const std::string& fallback) const {
  auto i = headers.find(name);
  return i == headers.end() ? fallback : i->second;
}

caf::expected<uint64_t> query_uint(const request& req, const std::string& name,
                                   uint64_t fallback, uint64_t max) {
  auto i = req.query.find(name);
  if (i == req.query.end())
    return fallback;
  auto& v = i->second;
  if (v.empty() || v.size() > 19 || v.find_first_not_of("0123456789") != std::string::npos)
    return make_error(ec::bad_request, "query parameter " + name
                                         + " must be a non-negative integer, not '" + v + "'");
  auto x = std::stoull(v);
  if (x > max)
    return make_error(ec::invalid_argument,
                      "query parameter " + name + " must be at most " + std::to_string(max));
  return x;
}

response json_response(int status, const nlohmann::json& body) {
  response r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

response error_response(int status, const std::string& code,
                        const std::string& message) {
  return json_response(status, {{"error", {{"code", code}, {"message", message}}}});
}

response error_response(const caf::error& err) {
  auto msg = message_of(err);
  if (msg.empty())
    msg = render(err);
  // Storage errors name files: the server log has them, clients get none.
  if (has_code(err, ec::storage_full) || has_code(err, ec::io_error)) {
    static log_limit limit;
    if (uint64_t held = 0; limit.allow(held))
      spdlog::error("[http] answering a storage error: {} ({} more in the last 10 s)", msg,
                    held);
    auto resp = has_code(err, ec::storage_full)
                  ? error_response(507, "storage_full",
                                   "the node's disk is full: nothing was written; writes "
                                   "succeed again once space is freed")
                  : error_response(503, "io_error",
                                   "the node cannot write to its storage: nothing was "
                                   "written; see the server log");
    resp.headers["Retry-After"] = "5";
    return resp;
  }
  auto code = err.category() == error_category ? to_string(code_of(err))
                                               : "internal";
  return error_response(http_status(err), code, msg);
}

} // namespace almanac::http
