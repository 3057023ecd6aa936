// `almanac sources`, `almanac extract`, `almanac profile`: source databases
// (admin). Register, list, change or remove a source; start a job that
// extracts a source's metadata into the catalog or profiles its columns, and
// with --wait follow the job with a progress bar on stderr.
#include "node/cli/commands.hpp"

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdint>
#include <iostream>
#include <memory>
#include <thread>
#include <vector>

namespace almanac::cli {

namespace {

struct sources_options {
  std::string src_name, src_kind, src_dsn, src_path, src_password_env, src_description;
  bool wait = false;
  std::vector<std::string> only_tables;
};

// Waits for a job, drawing a progress bar on stderr.
int wait_job(const cli_context& ctx, const std::string& id) {
  for (;;) {
    auto r = call("GET", ctx.server + "/api/v1/jobs/" + id, ctx.token);
    if (r.status != 200)
      return report(r, ctx.server);
    auto j = json::parse(r.body);
    auto done = j["progress"]["done"].get<uint64_t>();
    auto total = j["progress"]["total"].get<uint64_t>();
    int width = 40;
    int filled = total ? static_cast<int>(width * done / total) : 0;
    std::cerr << "\r[" << std::string(filled, '#') << std::string(width - filled, ' ')
              << "] " << done << "/" << total << " " << j["state"].get<std::string>()
              << "   " << std::flush;
    auto state = j["state"].get<std::string>();
    if (state != "queued" && state != "running") {
      std::cerr << "\n";
      if (j.contains("result"))
        std::cout << j["result"].dump(2) << "\n";
      if (!j["error"].is_null())
        std::cerr << "almanac: job " << id << " " << state << ": "
                  << j["error"].get<std::string>() << "\n";
      return state == "succeeded" ? 0 : 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

} // namespace

void add_sources(CLI::App& app, cli_context& ctx) {
  auto o = std::make_shared<sources_options>();
  auto sources = app.add_subcommand("sources", "source databases (admin)");
  sources->require_subcommand(1);
  auto sadd = sources->add_subcommand("add", "register a source");
  sadd->add_option("NAME", o->src_name, "the source's name in the catalog")->required();
  sadd->add_option("--kind", o->src_kind, "postgresql or sqlite")->required();
  sadd->add_option("--dsn", o->src_dsn, "libpq connection string (postgresql), without the password");
  sadd->add_option("--path", o->src_path, "database file (sqlite)");
  sadd->add_option("--password-env", o->src_password_env,
                   "environment variable holding the password on the node");
  sadd->add_option("--description", o->src_description, "Markdown description");
  sadd->callback([&ctx, o] {
    json body{{"name", o->src_name}, {"kind", o->src_kind}};
    if (!o->src_dsn.empty()) body["dsn"] = o->src_dsn;
    if (!o->src_path.empty()) body["path"] = o->src_path;
    if (!o->src_password_env.empty()) body["password_env"] = o->src_password_env;
    if (!o->src_description.empty()) body["description"] = o->src_description;
    ctx.rc = call_api(ctx, "POST", "/api/v1/sources",
                      [&](const json& j) {
                        std::cout << "registered " << j["urn"].get<std::string>() << "\n";
                      },
                      body);
  });
  auto slist = sources->add_subcommand("list", "list sources");
  slist->callback([&ctx] {
    ctx.rc = call_api(ctx, "GET", "/api/v1/sources", [&](const json& j) {
      for (auto& x : j["sources"])
        std::cout << pad(x["name"].get<std::string>(), 20) << pad(x["kind"].get<std::string>(), 12)
                  << x.value("dsn", x.value("path", std::string{})) << "\n";
    });
  });
  auto sset = sources->add_subcommand("set", "change a source's dsn, path or password variable");
  sset->add_option("NAME", o->src_name, "the source")->required();
  sset->add_option("--dsn", o->src_dsn, "libpq connection string, without the password");
  sset->add_option("--path", o->src_path, "database file (sqlite)");
  sset->add_option("--password-env", o->src_password_env, "environment variable holding the password");
  sset->callback([&ctx, o] {
    json body = json::object();
    if (!o->src_dsn.empty()) body["dsn"] = o->src_dsn;
    if (!o->src_path.empty()) body["path"] = o->src_path;
    if (!o->src_password_env.empty()) body["password_env"] = o->src_password_env;
    ctx.rc = call_api(ctx, "PATCH", "/api/v1/sources/" + encode_segment(o->src_name),
                      [&](const json& j) {
                        std::cout << o->src_name
                                  << (j.value("changed", false) ? " changed" : " unchanged")
                                  << "\n";
                      },
                      body);
  });
  auto sremove = sources->add_subcommand("remove", "remove a source and everything below it");
  sremove->add_option("NAME", o->src_name, "the source")->required();
  sremove->callback([&ctx, o] {
    ctx.rc = call_api(ctx, "DELETE", "/api/v1/sources/" + encode_segment(o->src_name),
                      [&](const json& j) {
                        std::cout << "removed " << j.value("removed", 0) << " entities\n";
                      });
  });

  // The per-kind jobs on a source: the same options, a different endpoint.
  for (std::string kind : {"extract", "profile"}) {
    auto cmd = app.add_subcommand(kind, kind == "extract"
                                          ? "extract a source's metadata into the catalog"
                                          : "profile a source's columns");
    cmd->add_option("SOURCE", o->src_name, "the source")->required();
    cmd->add_option("--tables", o->only_tables, "only these tables (schema.table)");
    cmd->add_flag("--wait", o->wait, "wait for the job, with a progress bar");
    cmd->callback([&ctx, o, kind] {
      json body = json::object();
      if (!o->only_tables.empty())
        body["tables"] = o->only_tables;
      std::string id;
      ctx.rc = call_api(ctx, "POST", "/api/v1/sources/" + encode_segment(o->src_name) + "/" + kind,
                        [&](const json& j) { id = j["job"].get<std::string>(); }, body);
      if (ctx.rc != 0)
        return;
      std::cout << "job " << id << "\n";
      if (o->wait)
        ctx.rc = wait_job(ctx, id);
    });
  }
}

} // namespace almanac::cli
