#pragma once

// The command groups of the `almanac` CLI, one source file each. Every add_*
// registers its group's subcommands on `app`, in the order `--help` lists
// them; a command's exit code goes to `ctx.rc`. A group keeps its option
// storage on the heap, owned by the callbacks it registers, so the storage
// lives as long as `app` and outlives parsing.

#include "node/cli/common.hpp"

namespace CLI {
class App;
} // namespace CLI

namespace almanac::cli {

/// `health`: the node's health (health_cmd.cpp).
void add_health(CLI::App& app, cli_context& ctx);

/// `admin actors|restart|crash`: the supervised actors (admin_cmd.cpp).
void add_admin(CLI::App& app, cli_context& ctx);

/// `entity get|edit|history`: read and curate entities (entity_cmd.cpp).
void add_entity(CLI::App& app, cli_context& ctx);

/// `users [add]`, `tokens list|issue|revoke`: accounts (accounts_cmd.cpp).
void add_accounts(CLI::App& app, cli_context& ctx);

/// `events tail`: follow the event stream (events_cmd.cpp).
void add_events(CLI::App& app, cli_context& ctx);

/// `sources add|list|set|remove`, `extract`, `profile` (sources_cmd.cpp).
void add_sources(CLI::App& app, cli_context& ctx);

/// `jobs [ID]`: list jobs or show one (jobs_cmd.cpp).
void add_jobs(CLI::App& app, cli_context& ctx);

/// `compose SOURCE SQL`: read-only SQL on a source (compose_cmd.cpp).
void add_compose(CLI::App& app, cli_context& ctx);

/// `search TEXT`: search the catalog (search_cmd.cpp).
void add_search(CLI::App& app, cli_context& ctx);

/// `log stat|dump|append`: the event log offline (log_cmd.cpp).
void add_log(CLI::App& app, cli_context& ctx);

/// `ha status|promote`: replication (ha_cmd.cpp).
void add_ha(CLI::App& app, cli_context& ctx);

} // namespace almanac::cli
