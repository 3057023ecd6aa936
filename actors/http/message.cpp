#include "actors/http/message.hpp"

#include "messages/error.hpp"

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
  auto code = err.category() == error_category ? to_string(code_of(err))
                                               : "internal";
  return error_response(http_status(err), code, msg);
}

} // namespace almanac::http
