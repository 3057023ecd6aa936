// almanac: the command-line client. Talks to a node over the HTTP API
// (--server, --token / ALMANAC_TOKEN); `almanac log ...` works offline on a
// data directory. This file holds main and the global options; each command
// group is in its own <group>_cmd.cpp, declared in commands.hpp.
#include "node/cli/commands.hpp"

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>

int main(int argc, char** argv) {
  using namespace almanac::cli;
  // Diagnostics go to stderr so that stdout stays machine-readable.
  spdlog::set_default_logger(spdlog::stderr_color_mt("almanac"));
  spdlog::set_pattern("%^%l%$: %v");
  // Declared before the app: the commands' callbacks refer to it.
  cli_context ctx;
  CLI::App app{"almanac - command-line client of the Almanac data catalog.\n"
               "Talks to a node over HTTP; `almanac log` works offline on a "
               "data directory."};
  app.require_subcommand(1);
  if (auto env = std::getenv("ALMANAC_SERVER"))
    ctx.server = env;
  if (auto env = std::getenv("ALMANAC_TOKEN"))
    ctx.token = env;
  app.add_option("--server", ctx.server,
                 "node URL (env ALMANAC_SERVER; default http://127.0.0.1:8080)");
  app.add_option("--token", ctx.token, "bearer token (env ALMANAC_TOKEN)");

  // In the order `almanac --help` lists them.
  add_health(app, ctx);
  add_admin(app, ctx);
  add_ha(app, ctx);
  add_entity(app, ctx);
  add_accounts(app, ctx);
  add_events(app, ctx);
  add_sources(app, ctx);
  add_jobs(app, ctx);
  add_compose(app, ctx);
  add_search(app, ctx);
  add_log(app, ctx);

  CLI11_PARSE(app, argc, argv);
  return ctx.rc;
}
