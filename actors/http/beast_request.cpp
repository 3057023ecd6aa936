#include "actors/http/beast_request.hpp"

#include "actors/http/router.hpp"

#include <algorithm>
#include <cctype>
#include <string>

namespace almanac::http {

std::shared_ptr<request> to_request(beast_request&& msg) {
  auto req = std::make_shared<request>();
  req->method = std::string{msg.method_string()};
  std::string target{msg.target()};
  auto q = target.find('?');
  req->path = target.substr(0, q);
  req->segments = split_path(req->path);
  if (q != std::string::npos)
    req->query = parse_query(target.substr(q + 1));
  for (auto& f : msg) {
    std::string key{f.name_string()};
    std::transform(key.begin(), key.end(), key.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    auto& slot = req->headers[key];
    slot += (slot.empty() ? "" : ", ") + std::string{f.value()};
  }
  req->body = std::move(msg.body());
  return req;
}

} // namespace almanac::http
