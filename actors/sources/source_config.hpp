#pragma once

// Sources are catalog entities (urn:almanac:source:<name>) whose attributes
// hold {"connection": {"kind", "dsn" | "path", "password_env" |
// "password_ref", "compose"}} — never a password; only the sources API sets
// them (connection_rules.hpp). This resolves one into what a connector
// needs, with the secret taken from this node, after checking the
// password_env and password_ref rules again.

#include "actors/catalog/catalog_projection.hpp"
#include "actors/sources/secrets.hpp"
#include "connectors/connector.hpp"

#include <caf/expected.hpp>

namespace almanac::sources {

/// The URN of source `name`.
std::string source_urn(const std::string& name);

/// Resolves source `name`: not_found if there is no such source.
caf::expected<connectors::source_config>
resolve_source(const catalog::catalog_projection& catalog,
               const secret_store& secrets, const std::string& name);

/// The sources whose password this node cannot resolve (an environment
/// variable it lacks, a secret not in its secrets file): a standby lists
/// them in its status (docs/ha.md).
std::vector<std::string> sources_without_password(const catalog::catalog_projection& catalog,
                                                  const secret_store& secrets);

/// Resolves source `name` and connects to it; `cfg`, if given, receives the
/// resolved configuration.
caf::expected<std::unique_ptr<connectors::connector>>
connect_source(const catalog::catalog_projection& catalog, const secret_store& secrets,
               const std::string& name, connectors::source_config* cfg = nullptr);

} // namespace almanac::sources
