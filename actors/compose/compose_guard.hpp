#pragma once

// What Compose refuses before running people's SQL. A read-only transaction
// does not make a privileged role safe: a superuser (or a member of
// pg_execute_server_program, pg_read_server_files, pg_write_server_files,
// pg_signal_backend) can run programs and read files on the database server
// or end other sessions from a SELECT. So Compose runs only on sources whose
// role is not privileged — asked of the source itself — unless an admin set
// compose.allow_privileged on the source. LOCK statements are refused on
// any role. Extraction and profiling are not affected.

#include "connectors/connector.hpp"

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <memory>
#include <string>

namespace almanac::compose {

/// Refuses SQL Compose never runs: a LOCK statement anywhere in the text
/// (ec::invalid_argument), found by parsing it (libpg_query).
caf::error check_compose_sql(const std::string& sql);

/// Refuses (ec::forbidden) a connection whose role is privileged
/// (connector::privileges()) unless cfg.compose_allow_privileged; the message
/// names the role and why, and how an admin allows it. A failed check
/// refuses too.
caf::error check_compose_role(connectors::connector& conn,
                              const connectors::source_config& cfg);

/// Checks `sql`, connects to the source and checks its role: the connection
/// Compose may run `sql` on.
caf::expected<std::unique_ptr<connectors::connector>>
connect_for_compose(const connectors::source_config& cfg, const std::string& sql);

} // namespace almanac::compose
