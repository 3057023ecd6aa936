#pragma once

// Boots a node: actor system, supervisor tree, HTTP gateway; runs until
// SIGTERM/SIGINT (ordered shutdown, exit 0) or until the root supervisor fails
// (/health says "failed" for node.failed_linger_ms, then exit 1).

#include "config/settings.hpp"

namespace almanac::runtime {

/// Exit code when the root supervisor failed.
constexpr int exit_root_failed = 1;

/// Exit code for invalid configuration or an unusable data directory.
constexpr int exit_bad_setup = 2;

/// Runs a node with `settings`; returns the process exit code.
int run_node(const config::settings& settings);

/// Reads the admin token: ALMANAC_ADMIN_TOKEN, else <data_dir>/admin.token,
/// else a new random token written there with mode 0600. Sets `created`.
caf::expected<std::string> bootstrap_admin_token(const std::string& data_dir,
                                                 bool& created);

} // namespace almanac::runtime
