// The helpers the `almanac` command groups share: reporting a failed call,
// calling the API, padding columns, encoding path segments, splitting lists.
#include "node/cli/common.hpp"

#include <cctype>
#include <iostream>

namespace almanac::cli {

int report(const http_result& r, const std::string& server) {
  if (r.status == 0) {
    std::cerr << "almanac: cannot reach " << server << ": " << r.error << "\n";
    return 3;
  }
  try {
    auto j = json::parse(r.body);
    std::cerr << "almanac: HTTP " << r.status << " "
              << j["error"]["code"].get<std::string>() << ": "
              << j["error"]["message"].get<std::string>() << "\n";
  } catch (...) {
    std::cerr << "almanac: HTTP " << r.status << ": " << r.body << "\n";
  }
  if (r.status == 401)
    std::cerr << "hint: pass --token or set ALMANAC_TOKEN (the admin token "
                 "is in <data_dir>/admin.token)\n";
  return r.status == 401 || r.status == 403 ? 4 : 1;
}

int call_api(const cli_context& ctx, const std::string& method,
             const std::string& path,
             const std::function<void(const json&)>& on_ok, const json& body,
             const std::string& if_match) {
  auto r = call(method, ctx.server + path, ctx.token,
                body.is_null() ? std::string{} : body.dump(), if_match);
  if (r.status < 200 || r.status >= 300)
    return report(r, ctx.server);
  on_ok(json::parse(r.body));
  return 0;
}

std::string pad(const std::string& s, size_t n) {
  return s.size() >= n ? s + " " : s + std::string(n - s.size(), ' ');
}

std::string encode_segment(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

json split_list(const std::string& s) {
  auto result = json::array();
  std::string cur;
  for (char c : s) {
    if (c == ',') {
      if (!cur.empty())
        result.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty())
    result.push_back(cur);
  return result;
}

} // namespace almanac::cli
