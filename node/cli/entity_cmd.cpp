// `almanac entity`: one catalog entity: show it (optionally as of an offset or
// time), change its curated fields (optionally only at a given version), and
// list its changes oldest first, following the history's pages with --all.
#include "node/cli/commands.hpp"

#include <CLI/CLI.hpp>

#include <cstdint>
#include <iostream>
#include <memory>
#include <vector>

namespace almanac::cli {

namespace {

struct entity_options {
  std::string urn;
  std::string as_of;
  std::string title, description, tags, stewards, terms, deprecated, endorsed;
  int64_t if_match = -1;
  uint64_t hist_limit = 1000;
  bool hist_all = false;
};

} // namespace

void add_entity(CLI::App& app, cli_context& ctx) {
  auto o = std::make_shared<entity_options>();
  auto entity = app.add_subcommand("entity", "read and curate catalog entities");
  entity->require_subcommand(1);
  auto eget = entity->add_subcommand("get", "show an entity (JSON)");
  eget->add_option("URN", o->urn, "e.g. urn:almanac:table:pagila.public.film")->required();
  eget->add_option("--as-of", o->as_of, "a log offset or ISO-8601 time (time travel)");
  eget->callback([&ctx, o] {
    auto path = "/api/v1/entities/" + encode_segment(o->urn)
                + (o->as_of.empty() ? "" : "?as_of=" + encode_segment(o->as_of));
    ctx.rc = call_api(ctx, "GET", path, [&](const json& j) { std::cout << j.dump(2) << "\n"; });
  });

  auto eedit = entity->add_subcommand("edit", "change curated fields");
  eedit->add_option("URN", o->urn, "the entity")->required();
  eedit->add_option("--title", o->title, "display title");
  eedit->add_option("--description", o->description, "Markdown description");
  eedit->add_option("--tags", o->tags, "comma-separated tags (replaces the list)");
  eedit->add_option("--stewards", o->stewards, "comma-separated user names");
  eedit->add_option("--terms", o->terms, "comma-separated glossary term URNs");
  eedit->add_option("--deprecated", o->deprecated, "true or false")->check(CLI::IsMember({"true", "false"}));
  eedit->add_option("--endorsed", o->endorsed, "true or false")->check(CLI::IsMember({"true", "false"}));
  eedit->add_option("--if-match", o->if_match, "only if the entity is at this version");
  eedit->callback([&ctx, o, eedit] {
    json body = json::object();
    if (eedit->count("--title")) body["title"] = o->title;
    if (eedit->count("--description")) body["description"] = o->description;
    if (eedit->count("--tags")) body["tags"] = split_list(o->tags);
    if (eedit->count("--stewards")) body["stewards"] = split_list(o->stewards);
    if (eedit->count("--terms")) body["terms"] = split_list(o->terms);
    if (eedit->count("--deprecated")) body["deprecated"] = o->deprecated == "true";
    if (eedit->count("--endorsed")) body["endorsed"] = o->endorsed == "true";
    if (body.empty()) {
      std::cerr << "almanac: nothing to change (see almanac entity edit --help)\n";
      ctx.rc = 2;
      return;
    }
    ctx.rc = call_api(ctx, "PATCH", "/api/v1/entities/" + encode_segment(o->urn),
                      [&](const json& j) {
                        std::cout << o->urn << " is now at version " << j["version"]
                                  << " (offset " << j["offset"] << ")\n";
                      },
                      body,
                      o->if_match >= 0 ? "\"" + std::to_string(o->if_match) + "\"" : "");
  });

  auto ehist = entity->add_subcommand(
    "history", "its changes, oldest first (the newest 1,000 unless --all)\n"
               "  almanac entity history urn:almanac:table:pagila.public.film --all");
  ehist->add_option("URN", o->urn, "the entity")->required();
  ehist->add_option("--limit", o->hist_limit, "changes per page (1 to 1000)")
    ->check(CLI::Range(uint64_t{1}, uint64_t{1000}));
  ehist->add_flag("--all", o->hist_all, "follow the pages back to the first change");
  ehist->callback([&ctx, o] {
    // Pages come newest first; each names the offset to read before.
    std::vector<json> pages;
    std::string before;
    for (;;) {
      auto path = "/api/v1/entities/" + encode_segment(o->urn) + "/history?limit="
                  + std::to_string(o->hist_limit) + before;
      bool more = false;
      ctx.rc = call_api(ctx, "GET", path, [&](const json& j) {
        pages.push_back(j["changes"]);
        more = j.value("more", false) && j.contains("before");
        if (more)
          before = "&before=" + std::to_string(j["before"].get<uint64_t>());
      });
      if (ctx.rc != 0 || !more || !o->hist_all)
        break;
    }
    if (ctx.rc != 0)
      return;
    std::cout << pad("OFFSET", 8) << pad("TIME", 26) << pad("USER", 12) << pad("EVENT", 12)
              << "FIELDS\n";
    for (auto p = pages.rbegin(); p != pages.rend(); ++p)
      for (auto& c : *p)
        std::cout << pad(std::to_string(c["offset"].get<uint64_t>()), 8)
                  << pad(c["time"].get<std::string>(), 26)
                  << pad(c["user"].get<std::string>(), 12)
                  << pad(c.value("event", ""), 12)
                  << c["fields"].dump() << "\n";
    if (!o->hist_all && pages.size() == 1 && !before.empty())
      std::cout << "(older changes: --all)\n";
  });
}

} // namespace almanac::cli
