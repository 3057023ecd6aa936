#include "actors/http/router.hpp"

#include "messages/json_guard.hpp"

#include <spdlog/spdlog.h>

#include <atomic>

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

std::map<std::string, std::string> parse_query(const std::string& raw) {
  std::map<std::string, std::string> result;
  size_t start = 0;
  while (start <= raw.size()) {
    auto amp = raw.find('&', start);
    auto part = raw.substr(start, amp == std::string::npos ? std::string::npos
                                                           : amp - start);
    if (!part.empty()) {
      auto eq = part.find('=');
      auto key = percent_decode(part.substr(0, eq), true);
      auto val = eq == std::string::npos ? std::string{}
                                         : percent_decode(part.substr(eq + 1), true);
      result[key] = val;
    }
    if (amp == std::string::npos)
      break;
    start = amp + 1;
  }
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

responder once(responder fn) {
  struct state {
    responder fn;
    std::atomic<bool> done{false};
    ~state() {
      if (!done.exchange(true) && fn)
        fn(error_response(500, "internal", "the handler gave no answer"));
    }
  };
  auto st = std::make_shared<state>();
  st->fn = std::move(fn);
  return [st](response resp) {
    if (!st->done.exchange(true))
      st->fn(std::move(resp));
    else
      spdlog::warn("[http] a handler answered twice; the second answer is dropped");
  };
}

void router::add(route r) {
  routes_.push_back(std::move(r));
}

void router::add_async(std::string method, std::string pattern,
                       std::optional<role> min_role, async_handler fn,
                       body_kind body) {
  route r;
  r.method = std::move(method);
  r.pattern = std::move(pattern);
  r.min_role = min_role;
  r.body = body;
  r.async = std::move(fn);
  routes_.push_back(std::move(r));
}

bool router::is_public(const request& req) const {
  for (auto& r : routes_) {
    std::map<std::string, std::string> params;
    if (r.method == req.method && match(split_pattern(r.pattern), req.segments, params))
      return !r.min_role && !r.async;
  }
  return false;
}

namespace {

// The first part of a request that is not UTF-8, or an empty string.
std::string invalid_text(const request& req) {
  for (auto& seg : req.segments)
    if (!valid_utf8(seg))
      return "the path";
  for (auto& [k, v] : req.query)
    if (!valid_utf8(k) || !valid_utf8(v))
      return "query parameter '" + (valid_utf8(k) ? k : std::string{"?"}) + "'";
  return {};
}

} // namespace

void router::dispatch(std::shared_ptr<request> shared, const token_table& tokens,
                      responder reply) const {
  reply = once(std::move(reply));
  auto& req = *shared;
  auto answer = [&](response resp) { reply(std::move(resp)); };
  auto bad = invalid_text(req);
  if (!bad.empty())
    return answer(error_response(400, "bad_request", bad + " is not valid UTF-8"));
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
    return answer(error_response(404, "not_found",
                                 "no route for " + req.method + " " + req.path));
  if (!found) {
    auto resp = error_response(405, "method_not_allowed",
                               req.method + " is not allowed on " + req.path
                                 + "; allowed: " + allowed);
    resp.headers["Allow"] = allowed;
    return answer(std::move(resp));
  }
  principal who{"anonymous", role::viewer};
  if (found->min_role) {
    auto auth = req.header("authorization");
    const std::string prefix = "Bearer ";
    if (auth.empty()) {
      auto resp = error_response(401, "unauthenticated",
                                 "missing bearer token (Authorization: Bearer <token>)");
      resp.headers["WWW-Authenticate"] = "Bearer";
      return answer(std::move(resp));
    }
    if (auth.compare(0, prefix.size(), prefix) != 0) {
      auto resp = error_response(401, "unauthenticated",
                                 "the Authorization header is not 'Bearer <token>'");
      resp.headers["WWW-Authenticate"] = "Bearer";
      return answer(std::move(resp));
    }
    auto p = tokens.find(auth.substr(prefix.size()));
    if (!p) {
      auto resp = error_response(401, "unauthenticated",
                                 "invalid or revoked token");
      resp.headers["WWW-Authenticate"] = "Bearer error=\"invalid_token\"";
      return answer(std::move(resp));
    }
    if (static_cast<int>(p->level) < static_cast<int>(*found->min_role))
      return answer(error_response(403, "forbidden",
                                   req.method + " " + req.path + " needs the "
                                     + to_string(*found->min_role) + " role; "
                                     + p->user + " is " + to_string(p->level)));
    who = *p;
  }
  if (write_guard_ && req.method != "GET" && req.method != "HEAD")
    if (auto refused = write_guard_(req))
      return answer(std::move(*refused));
  if (!req.body.empty()) {
    if (found->body == body_kind::json) {
      auto parsed = parse_json_guarded(req.body, "the request body");
      if (!parsed)
        return answer(error_response(parsed.error()));
      req.json = std::move(*parsed);
    } else if (auto at = find_invalid_utf8(req.body); at != std::string_view::npos) {
      return answer(error_response(400, "bad_request",
                                   "the request body is not valid UTF-8 (byte "
                                     + std::to_string(at) + ")"));
    }
  }
  try {
    if (found->async) {
      // The responder keeps the request alive until the answer is sent.
      found->async(req, who, [shared, reply](response resp) { reply(std::move(resp)); });
      return;
    }
    return answer(found->fn(req, who));
  } catch (const std::exception& e) {
    spdlog::error("[http] {} {} failed: {}", req.method, req.path, e.what());
    return answer(error_response(500, "internal", "the request failed inside the server"));
  }
}

} // namespace almanac::http
