#pragma once

// Sources are catalog entities (urn:almanac:source:<name>) whose attributes
// hold {"connection": {"kind", "dsn" | "path", "password_env" |
// "password_ref"}} — never a password. This resolves one into what a
// connector needs, with the secret taken from this node.

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

} // namespace almanac::sources
