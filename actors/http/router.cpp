#include "actors/http/router.hpp"

#include <spdlog/spdlog.h>

namespace almanac::http {

std::string percent_decode(const std::string& text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  auto hexval = [](char c) -> int {
    if (c >= '0' && c <= '9')
      return c - '0';
    if (c >= 'a' && c <= 'f')
      return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
      return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%' && i + 2 < text.size() && hexval(text[i + 1]) >= 0 && hexval(text[i + 2]) >= 0) {
      out += static_cast<char>(hexval(text[i + 1]) * 16 + hexval(text[i + 2]));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::vector<std::string> split_path(const std::string& raw_path) {
  std::vector<std::string> result;
  std::string current;
  auto q = raw_path.find('?');
  auto path = raw_path.substr(0, q);
  for (char c : path) {
    if (c == '/') {
      if (!current.empty())
        result.push_back(percent_decode(current));
      current.clear();
    } else {
      current += c;
    }
  }
  if (!current.empty())
    result.push_back(percent_decode(current));
  return result;
}

namespace {

bool match(const std::vector<std::string>& pattern,
           const std::vector<std::string>& segments,
           std::map<std::string, std::string>& params) {
  if (pattern.size() != segments.size())
    return false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    auto& p = pattern[i];
    if (p.size() > 2 && p.front() == '{' && p.back() == '}')
      params[p.substr(1, p.size() - 2)] = segments[i];
    else if (p != segments[i])
      return false;
  }
  return true;
}

std::vector<std::string> split_pattern(const std::string& pattern) {
  std::vector<std::string> result;
  std::string current;
  for (char c : pattern) {
    if (c == '/') {
      if (!current.empty())
        result.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  if (!current.empty())
    result.push_back(current);
  return result;
}

} // namespace

void router::add(route r) {
  routes_.push_back(std::move(r));
}

response router::dispatch(request& req, const token_table& tokens) const {
  const route* found = nullptr;
  std::string allowed;
  for (auto& r : routes_) {
    std::map<std::string, std::string> params;
    if (!match(split_pattern(r.pattern), req.segments, params))
      continue;
    if (r.method == req.method) {
      found = &r;
      req.params = std::move(params);
      break;
    }
    if (allowed.find(r.method) == std::string::npos)
      allowed += (allowed.empty() ? "" : ", ") + r.method;
  }
  if (!found && allowed.empty())
    return error_response(404, "not_found",
                          "no route for " + req.method + " " + req.path);
  if (!found) {
    auto resp = error_response(405, "method_not_allowed",
                               req.method + " is not allowed on " + req.path
                                 + "; allowed: " + allowed);
    resp.headers["Allow"] = allowed;
    return resp;
  }
  principal who{"anonymous", role::viewer};
  if (found->min_role) {
    auto auth = req.header("authorization");
    const std::string prefix = "Bearer ";
    if (auth.empty()) {
      auto resp = error_response(401, "unauthenticated",
                                 "missing bearer token (Authorization: Bearer <token>)");
      resp.headers["WWW-Authenticate"] = "Bearer";
      return resp;
    }
    if (auth.compare(0, prefix.size(), prefix) != 0) {
      auto resp = error_response(401, "unauthenticated",
                                 "the Authorization header is not 'Bearer <token>'");
      resp.headers["WWW-Authenticate"] = "Bearer";
      return resp;
    }
    auto p = tokens.find(auth.substr(prefix.size()));
    if (!p) {
      auto resp = error_response(401, "unauthenticated",
                                 "invalid or revoked token");
      resp.headers["WWW-Authenticate"] = "Bearer error=\"invalid_token\"";
      return resp;
    }
    if (static_cast<int>(p->level) < static_cast<int>(*found->min_role))
      return error_response(403, "forbidden",
                            req.method + " " + req.path + " needs the "
                              + to_string(*found->min_role) + " role; "
                              + p->user + " is " + to_string(p->level));
    who = *p;
  }
  if (found->body == body_kind::json && !req.body.empty()) {
    try {
      req.json = nlohmann::json::parse(req.body);
    } catch (const nlohmann::json::parse_error& e) {
      return error_response(400, "bad_request",
                            std::string{"malformed JSON body: "} + e.what());
    }
  }
  try {
    return found->fn(req, who);
  } catch (const std::exception& e) {
    spdlog::error("[http] {} {} failed: {}", req.method, req.path, e.what());
    return error_response(500, "internal", e.what());
  }
}

} // namespace almanac::http
