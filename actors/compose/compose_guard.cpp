#include "actors/compose/compose_guard.hpp"

#include "actors/lineage/sql/sql_analysis.hpp"
#include "messages/error.hpp"

#include <algorithm>

namespace almanac::compose {

namespace {

std::string how_to_allow(const std::string& source) {
  return "connect the source as a role without these privileges, or let an admin "
         "allow it: PATCH /api/v1/sources/" + source
         + " with {\"compose\": {\"allow_privileged\": true}}";
}

} // namespace

caf::error check_compose_sql(const std::string& sql) {
  auto nodes = lineage::statement_nodes(sql);
  if (std::find(nodes.begin(), nodes.end(), "LockStmt") != nodes.end())
    return make_error(ec::invalid_argument,
                      "Compose does not run LOCK statements (a lock held by a "
                      "query tool blocks the source's own work)");
  return caf::none;
}

caf::error check_compose_role(connectors::connector& conn,
                              const connectors::source_config& cfg) {
  if (cfg.compose_allow_privileged)
    return caf::none;
  auto why = conn.privileges();
  if (!why)
    return make_error(ec::forbidden, "Compose cannot check the privileges of source '"
                                       + cfg.name + "': " + message_of(why.error())
                                       + "; " + how_to_allow(cfg.name));
  if (why->empty())
    return caf::none;
  return make_error(ec::forbidden,
                    "Compose refuses source '" + cfg.name + "': it " + *why
                      + ", which can run programs, read or write files on the "
                        "database server or end other sessions even in a read-only "
                        "transaction; " + how_to_allow(cfg.name));
}

caf::expected<std::unique_ptr<connectors::connector>>
connect_for_compose(const connectors::source_config& cfg, const std::string& sql) {
  if (auto err = check_compose_sql(sql))
    return err;
  auto conn = connectors::connect(cfg);
  if (!conn)
    return conn.error();
  if (auto err = check_compose_role(**conn, cfg))
    return err;
  return conn;
}

} // namespace almanac::compose
