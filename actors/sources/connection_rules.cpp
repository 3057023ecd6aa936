#include "actors/sources/connection_rules.hpp"

#include "connectors/connector.hpp"
#include "messages/error.hpp"

#include <algorithm>
#include <cctype>
#include <set>

namespace almanac::sources {

using nlohmann::json;

std::string secret_name(const std::string& source) {
  return "source:" + source;
}

caf::error check_password_env(const std::string& var) {
  auto word = [](unsigned char c) { return std::isalnum(c) || c == '_'; };
  if (var.empty() || std::isdigit(static_cast<unsigned char>(var[0]))
      || !std::all_of(var.begin(), var.end(), word))
    return make_error(ec::invalid_argument,
                      "field 'password_env' must be an environment variable name "
                      "(letters, digits and '_')");
  std::string upper;
  for (unsigned char c : var)
    upper += static_cast<char>(std::toupper(c));
  if (upper.rfind("ALMANAC_", 0) == 0)
    return make_error(ec::invalid_argument,
                      "field 'password_env': " + var + " is one of Almanac's own "
                      "variables (ALMANAC_*, such as the admin token), which never "
                      "serve as a source password; use another variable or 'password'");
  return caf::none;
}

caf::error check_password_ref(const std::string& source, const std::string& ref) {
  if (ref != secret_name(source))
    return make_error(ec::forbidden, "source " + source + ": its password_ref names "
                                       "another secret than its own ("
                                       + secret_name(source)
                                       + "); set the password again through "
                                         "PATCH /api/v1/sources/" + source);
  return caf::none;
}

caf::expected<json> connection_from(const json& body, bool partial, json base,
                                    std::optional<std::string>& password) {
  static const std::set<std::string> known{"name", "kind", "dsn", "path", "password",
                                           "password_env", "description", "compose",
                                           "database", "search_path"};
  if (!body.is_object())
    return make_error(ec::bad_request, "the body must be a JSON object");
  for (auto& [k, v] : body.items()) {
    if (!known.count(k))
      return make_error(ec::bad_request, "unknown field '" + k + "'");
    if (k == "compose") {
      if (!v.is_object())
        return make_error(ec::bad_request, "field 'compose' must be an object "
                                           "such as {\"allow_privileged\": true}");
      for (auto& [ck, cv] : v.items()) {
        if (ck != "allow_privileged")
          return make_error(ec::bad_request, "unknown field 'compose." + ck + "'");
        if (!cv.is_boolean())
          return make_error(ec::bad_request,
                            "field 'compose.allow_privileged' must be a boolean");
      }
    } else if (!v.is_string()) {
      return make_error(ec::bad_request, "field '" + k + "' must be a string");
    }
  }
  if (body.contains("kind")) {
    auto kinds = connectors::connector_kinds();
    auto kind = body["kind"].get<std::string>();
    if (std::find(kinds.begin(), kinds.end(), kind) == kinds.end()) {
      std::string all;
      for (auto& k : kinds)
        all += (all.empty() ? "" : ", ") + k;
      return make_error(ec::invalid_argument, "field 'kind': unknown connector '"
                                                + kind + "' (known: " + all + ")");
    }
    base["kind"] = kind;
  } else if (!partial) {
    return make_error(ec::bad_request, "missing required field 'kind'");
  }
  for (auto key : {"dsn", "path", "password_env", "database", "search_path"})
    if (body.contains(key))
      base[key] = body[key];
  // How query-log names resolve (docs/lineage.md): search_path as
  // PostgreSQL writes it, e.g. "\"$user\", public, sales".
  if (body.contains("search_path")) {
    auto path = body["search_path"].get<std::string>();
    if (std::count(path.begin(), path.end(), '"') % 2 != 0)
      return make_error(ec::invalid_argument,
                        "field 'search_path': an unbalanced double quote in '" + path + "'");
    if (path.find_first_not_of(" ,") == std::string::npos && !path.empty())
      return make_error(ec::invalid_argument,
                        "field 'search_path' names no schema: '" + path + "'");
  }
  if (body.contains("compose")) {
    auto compose = base.value("compose", json::object());
    if (!compose.is_object())
      compose = json::object();
    compose.update(body["compose"]);
    base["compose"] = compose;
  }
  if (body.contains("password")) {
    password = body["password"].get<std::string>();
    base.erase("password_env");
  }
  if (body.contains("password_env"))
    base.erase("password_ref");
  if (auto env = base.find("password_env"); env != base.end())
    if (auto err = check_password_env(env->is_string() ? env->get<std::string>() : ""))
      return err;
  auto kind = base.value("kind", "");
  if (kind == "postgresql" && base.value("dsn", "").empty())
    return make_error(ec::bad_request, "missing required field 'dsn' for a postgresql source");
  if (kind == "sqlite" && base.value("path", "").empty())
    return make_error(ec::bad_request, "missing required field 'path' for a sqlite source");
  connectors::source_config cfg;
  cfg.kind = kind;
  cfg.dsn = base.value("dsn", "");
  cfg.path = base.value("path", "");
  if (auto err = connectors::check_config(cfg))
    return err;
  return base;
}

bool compose_allows_privileged(const json& connection) {
  auto compose = connection.find("compose");
  if (compose == connection.end() || !compose->is_object())
    return false;
  auto allow = compose->find("allow_privileged");
  return allow != compose->end() && *allow == true;
}

} // namespace almanac::sources
