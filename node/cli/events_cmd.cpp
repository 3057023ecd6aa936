// `almanac events tail`: follows the event stream by long polling, printing
// each event as a JSON line, from an offset or from the end (Ctrl-C stops).
#include "node/cli/commands.hpp"

#include <CLI/CLI.hpp>

#include <cstdint>
#include <iostream>
#include <memory>

namespace almanac::cli {

namespace {

struct events_options {
  std::string tail_from = "end";
  std::string types;
};

} // namespace

void add_events(CLI::App& app, cli_context& ctx) {
  auto o = std::make_shared<events_options>();
  auto events = app.add_subcommand("events", "the event stream");
  events->require_subcommand(1);
  auto tail = events->add_subcommand("tail", "print events as JSON lines as they happen (Ctrl-C stops)");
  tail->add_option("--from", o->tail_from, "first offset, or 'end' (default) for new events only");
  tail->add_option("--types", o->types, "comma-separated event types");
  tail->callback([&ctx, o] {
    std::string next = o->tail_from;
    for (;;) {
      auto path = "/api/v1/events?wait_ms=10000&max=1000&from=" + next
                  + (o->types.empty() ? "" : "&types=" + encode_segment(o->types));
      auto r = call("GET", ctx.server + path, ctx.token);
      if (r.status != 200) {
        ctx.rc = report(r, ctx.server);
        return;
      }
      auto j = json::parse(r.body);
      for (auto& e : j["events"])
        std::cout << e.dump() << std::endl;
      next = std::to_string(j["next"].get<uint64_t>());
    }
  });
}

} // namespace almanac::cli
