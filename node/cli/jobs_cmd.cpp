// `almanac jobs`: lists the node's jobs (id, kind, source, state, progress,
// error), or with an ID shows that job as JSON.
#include "node/cli/commands.hpp"

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

namespace almanac::cli {

namespace {

struct jobs_options {
  std::string job_id;
};

} // namespace

void add_jobs(CLI::App& app, cli_context& ctx) {
  auto o = std::make_shared<jobs_options>();
  auto jobs_cmd = app.add_subcommand("jobs", "list jobs, or show one");
  jobs_cmd->add_option("ID", o->job_id, "a job id");
  jobs_cmd->callback([&ctx, o] {
    if (!o->job_id.empty()) {
      ctx.rc = call_api(ctx, "GET", "/api/v1/jobs/" + encode_segment(o->job_id),
                        [&](const json& j) { std::cout << j.dump(2) << "\n"; });
      return;
    }
    ctx.rc = call_api(ctx, "GET", "/api/v1/jobs", [&](const json& j) {
      for (auto& x : j["jobs"])
        std::cout << pad(x["id"].get<std::string>(), 12) << pad(x["kind"].get<std::string>(), 10)
                  << pad(x["source"].get<std::string>(), 16) << pad(x["state"].get<std::string>(), 11)
                  << x["progress"]["done"] << "/" << x["progress"]["total"]
                  << (x["error"].is_null() ? "" : "  " + x["error"].get<std::string>()) << "\n";
    });
  });
}

} // namespace almanac::cli
