#include "actors/sources/source_config.hpp"

#include "messages/urn.hpp"
#include "actors/sources/connection_rules.hpp"
#include "messages/error.hpp"

namespace almanac::sources {

std::string source_urn(const std::string& name) {
  auto u = catalog::make_urn(catalog::entity_kind::source, {name});
  return u ? *u : "urn:almanac:source:" + name;
}

caf::expected<connectors::source_config>
resolve_source(const catalog::catalog_projection& catalog,
               const secret_store& secrets, const std::string& name) {
  auto e = catalog.entity(source_urn(name));
  if (!e)
    return e.error();
  if (!*e)
    return make_error(ec::not_found, "no source named '" + name + "'");
  auto conn = (**e).value("attributes", nlohmann::json::object())
                .value("connection", nlohmann::json::object());
  if (!conn.contains("kind"))
    return make_error(ec::invalid_argument,
                      "source '" + name + "' has no connection (register it "
                      "through POST /api/v1/sources)");
  connectors::source_config cfg;
  cfg.name = name;
  cfg.kind = conn.value("kind", "");
  cfg.dsn = conn.value("dsn", "");
  cfg.path = conn.value("path", "");
  cfg.compose_allow_privileged = compose_allows_privileged(conn);
  auto pw = resolve_password(secrets, name, conn.value("password_env", ""),
                             conn.value("password_ref", ""));
  if (!pw)
    return pw.error();
  cfg.password = *pw;
  return cfg;
}

std::vector<std::string> sources_without_password(const catalog::catalog_projection& catalog,
                                                  const secret_store& secrets) {
  std::vector<std::string> out;
  auto urns = catalog.list("urn:almanac:source:", 10000);
  if (!urns)
    return out;
  const std::string prefix = "urn:almanac:source:";
  for (auto& urn : *urns) {
    auto e = catalog.entity(urn);
    if (!e || !*e)
      continue;
    auto conn = (**e).value("attributes", nlohmann::json::object())
                  .value("connection", nlohmann::json::object());
    auto env = conn.value("password_env", "");
    auto ref = conn.value("password_ref", "");
    if (env.empty() && ref.empty())
      continue;
    auto name = urn.substr(prefix.size());
    if (!resolve_password(secrets, name, env, ref))
      out.push_back(name);
  }
  return out;
}

caf::expected<std::unique_ptr<connectors::connector>>
connect_source(const catalog::catalog_projection& catalog, const secret_store& secrets,
               const std::string& name, connectors::source_config* out) {
  auto cfg = resolve_source(catalog, secrets, name);
  if (!cfg)
    return cfg.error();
  if (out)
    *out = *cfg;
  return connectors::connect(*cfg);
}

} // namespace almanac::sources
