// `almanac admin`: the node's supervised actors: list them (a table, or JSON
// with --json), restart one through its supervisor, or make one fail (the
// node needs --enable-fault-injection).
#include "node/cli/commands.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdint>
#include <iostream>
#include <memory>
#include <vector>

namespace almanac::cli {

namespace {

struct admin_options {
  bool as_json = false;
  std::string actor_name;
};

void print_actor_table(const json& j) {
  std::vector<std::string> head{"NAME", "PARENT", "STATE", "RESTARTS",
                                "MAILBOX", "PROCESSED", "LAG", "LAST ERROR"};
  std::vector<std::vector<std::string>> rows;
  for (auto& a : j["actors"]) {
    auto name = a["name"].get<std::string>();
    rows.push_back({name, a["parent"].get<std::string>(),
                    a["state"].get<std::string>(),
                    std::to_string(a["restarts"].get<uint64_t>()),
                    std::to_string(a["mailbox"].get<uint64_t>()),
                    std::to_string(a["processed"].get<uint64_t>()),
                    a.contains("lag") ? std::to_string(a["lag"].get<uint64_t>()) : "",
                    a["last_error"].get<std::string>()});
  }
  std::vector<size_t> width(head.size());
  for (size_t c = 0; c < head.size(); ++c) {
    width[c] = head[c].size() + 2;
    for (auto& r : rows)
      width[c] = std::max(width[c], r[c].size() + 2);
  }
  for (size_t c = 0; c < head.size(); ++c)
    std::cout << (c + 1 < head.size() ? pad(head[c], width[c]) : head[c]);
  std::cout << "\n";
  for (auto& r : rows) {
    for (size_t c = 0; c < r.size(); ++c)
      std::cout << (c + 1 < r.size() ? pad(r[c], width[c]) : r[c]);
    std::cout << "\n";
  }
}

} // namespace

void add_admin(CLI::App& app, cli_context& ctx) {
  auto o = std::make_shared<admin_options>();
  auto admin = app.add_subcommand("admin", "actor administration");
  admin->require_subcommand(1);
  auto actors = admin->add_subcommand("actors", "list supervised actors");
  actors->add_flag("--json", o->as_json, "print JSON instead of a table");
  actors->callback([&ctx, o] {
    ctx.rc = call_api(ctx, "GET", "/api/v1/admin/actors", [&](const json& j) {
      if (o->as_json)
        std::cout << j.dump(2) << "\n";
      else
        print_actor_table(j);
    });
  });
  auto restart = admin->add_subcommand("restart", "restart an actor through its supervisor");
  restart->add_option("NAME", o->actor_name, "actor name (see `almanac admin actors`)")->required();
  restart->callback([&ctx, o] {
    ctx.rc = call_api(ctx, "POST", "/api/v1/admin/actors/" + o->actor_name + "/restart",
                      [&](const json&) { std::cout << "restarting " << o->actor_name << "\n"; });
  });
  auto crash = admin->add_subcommand("crash", "make an actor fail (node needs --enable-fault-injection)");
  crash->add_option("NAME", o->actor_name, "actor name")->required();
  crash->callback([&ctx, o] {
    ctx.rc = call_api(ctx, "POST", "/api/v1/admin/actors/" + o->actor_name + "/crash",
                      [&](const json&) { std::cout << "crashing " << o->actor_name << "\n"; });
  });
}

} // namespace almanac::cli
