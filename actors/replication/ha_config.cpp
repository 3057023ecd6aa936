#include "actors/replication/ha_config.hpp"

#include "messages/error.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

namespace almanac::replication {

namespace {

caf::error bad(const std::string& what) {
  return make_error(ec::invalid_config, what);
}

caf::expected<std::string> read_secret(const config::settings& s) {
  if (auto env = std::getenv("ALMANAC_HA_SECRET"); env && *env)
    return std::string{env};
  auto path = s.get("ha.secret_file");
  if (path.empty())
    return std::string{};
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0)
    return bad("ha.secret_file " + path + " cannot be read");
  if ((st.st_mode & 077) != 0)
    return bad("ha.secret_file " + path
               + " is readable by others: chmod 600 it");
  std::ifstream in{path};
  std::string secret;
  std::getline(in, secret);
  if (secret.empty())
    return bad("ha.secret_file " + path + " is empty");
  return secret;
}

} // namespace

caf::expected<ha_config> ha_config_from(const config::settings& s) {
  ha_config c;
  c.data_dir = s.get("data_dir");
  if (auto x = s.get("ha.listen"); !x.empty())
    if (auto err = config::parse_endpoint(x, c.listen_host, c.listen_port))
      return bad("ha.listen '" + x + "' is not HOST:PORT");
  if (auto x = s.get("ha.primary"); !x.empty())
    if (auto err = config::parse_endpoint(x, c.primary_host, c.primary_port))
      return bad("ha.primary '" + x + "' is not HOST:PORT");
  bool standby = s.get("node.role") == "standby";
  if (standby && !c.follows())
    return bad("a standby needs ha.primary (--ha-primary HOST:PORT)");
  if (!standby && c.follows())
    return bad("ha.primary is set on a primary: start it with --node-role standby");
  c.sync = s.get("ha.mode") == "sync";
  // A sync primary with no listener could never have a write confirmed.
  if (c.sync && !c.listens())
    return bad("ha.mode sync needs ha.listen (--ha-listen HOST:PORT): a write waits for a "
               "standby, and standbys connect there");
  c.fallback_async = s.get("ha.sync_fallback") == "async";
  c.sync_timeout = std::chrono::milliseconds(s.get_uint("ha.sync_timeout_ms"));
  c.heartbeat = std::chrono::milliseconds(s.get_uint("ha.heartbeat_ms"));
  if (c.listens() || c.follows()) {
    auto secret = read_secret(s);
    if (!secret)
      return std::move(secret.error());
    if (secret->empty())
      return bad("replication needs a secret: set ALMANAC_HA_SECRET or ha.secret_file");
    if (secret->size() < 16)
      return bad("the replication secret must have at least 16 bytes");
    c.secret = std::move(*secret);
  }
  std::string host;
  uint16_t port = 0;
  config::parse_endpoint(s.get("http.listen"), host, port);
  auto scheme = s.get("http.tls_cert").empty() ? "http" : "https";
  c.http_url = std::string{scheme} + "://" + host + ":" + std::to_string(port);
  c.name = s.get("ha.name");
  if (c.name.empty())
    c.name = c.listens() ? c.listen_host + ":" + std::to_string(c.listen_port)
                         : host + ":" + std::to_string(port);
  return c;
}

} // namespace almanac::replication
