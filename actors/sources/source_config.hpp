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

/// Resolves source `name` and connects to it; `cfg`, if given, receives the
/// resolved configuration.
caf::expected<std::unique_ptr<connectors::connector>>
connect_source(const catalog::catalog_projection& catalog, const secret_store& secrets,
               const std::string& name, connectors::source_config* cfg = nullptr);

} // namespace almanac::sources

namespace almanac::jobs {
struct job_env;
} // namespace almanac::jobs

namespace almanac::sources {

/// Connects to the source of a running job; the job's cancel now also
/// cancels the query that connection is running. `cfg`, if given, receives
/// the resolved configuration (its kind, for dialects).
caf::expected<std::unique_ptr<connectors::connector>>
connect_for_job(jobs::job_env& env, connectors::source_config* cfg = nullptr);

} // namespace almanac::sources
