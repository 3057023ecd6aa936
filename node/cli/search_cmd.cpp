// `almanac search`: full-text search over the catalog; prints one "KIND URN"
// line per result on stdout and the total on stderr.
#include "node/cli/commands.hpp"

#include <CLI/CLI.hpp>

#include <cstdint>
#include <iostream>
#include <memory>

namespace almanac::cli {

namespace {

struct search_options {
  std::string text, kind_filter;
  uint64_t hits = 10;
};

} // namespace

void add_search(CLI::App& app, cli_context& ctx) {
  auto o = std::make_shared<search_options>();
  auto search_cmd = app.add_subcommand("search", "search the catalog");
  search_cmd->add_option("TEXT", o->text, "words, \"phrases\", prefix*")->required();
  search_cmd->add_option("--kind", o->kind_filter, "only this kind (table, view, column, ...)");
  search_cmd->add_option("--limit", o->hits, "results (default 10)");
  search_cmd->callback([&ctx, o] {
    auto path = "/api/v1/search?q=" + encode_segment(o->text) + "&limit=" + std::to_string(o->hits)
                + (o->kind_filter.empty() ? "" : "&kind=" + encode_segment(o->kind_filter));
    ctx.rc = call_api(ctx, "GET", path, [&](const json& j) {
      for (auto& r : j["results"])
        std::cout << pad(r["kind"].get<std::string>(), 8) << r["urn"].get<std::string>() << "\n";
      std::cerr << j["total"] << " results\n";
    });
  });
}

} // namespace almanac::cli
