// `almanac health`: prints the node's /health reply (no token needed); exits
// 0 when the node is healthy, 1 when it answers otherwise, 3 when unreachable.
#include "node/cli/commands.hpp"

#include <CLI/CLI.hpp>

#include <iostream>

namespace almanac::cli {

void add_health(CLI::App& app, cli_context& ctx) {
  auto health = app.add_subcommand("health", "show the node's health");
  health->callback([&ctx] {
    auto r = call("GET", ctx.server + "/health", "");
    if (r.status == 0) {
      ctx.rc = report(r, ctx.server);
      return;
    }
    auto j = json::parse(r.body, nullptr, false);
    std::cout << (j.is_object() ? j.dump(2) : r.body) << "\n";
    ctx.rc = r.status == 200 ? 0 : 1;
  });
}

} // namespace almanac::cli
