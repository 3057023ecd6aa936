// `almanac ha status|promote`: replication (docs/ha.md).
#include "node/cli/commands.hpp"

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

namespace almanac::cli {

namespace {

struct ha_options {
  bool as_json = false;
};

std::string field(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end())
    return "-";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

void print_status(const json& j) {
  auto mode = field(j, "replication_mode");
  std::cout << "role    " << mode << "  (epoch " << field(j, "epoch") << ", log end "
            << field(j, "log_end") << ")\n";
  if (mode == "standby") {
    std::cout << "primary " << field(j, "primary") << "  " << field(j, "primary_url") << "\n"
              << "state   " << field(j, "state") << "  behind by " << field(j, "log_lag_events")
              << " events, " << field(j, "log_lag_bytes") << " bytes, " << field(j, "lag_ms")
              << " ms\n";
    if (j.contains("last_error"))
      std::cout << "error   " << field(j, "last_error") << "\n";
    return;
  }
  bool sync = j.value("sync", false);
  std::cout << "mode    " << (sync ? "sync" : "async");
  if (sync)
    std::cout << "  (readers see up to offset " << field(j, "replicated_end") << ")";
  std::cout << "\n";
  if (j.contains("problem"))
    std::cout << (j.value("degraded", false) ? "DEGRADED: " : "WRITES REFUSED: ")
              << field(j, "problem") << "\n";
  bool any = false;
  for (auto& [name, row] : j.items()) {
    if (!row.is_object())
      continue;
    any = true;
    std::cout << "standby " << name << "  " << field(row, "state") << "  behind by "
              << field(row, "log_lag_events") << " events, " << field(row, "log_lag_bytes")
              << " bytes, " << field(row, "lag_ms") << " ms\n";
  }
  if (!any)
    std::cout << "no standby has connected\n";
}

} // namespace

void add_ha(CLI::App& app, cli_context& ctx) {
  auto o = std::make_shared<ha_options>();
  auto ha = app.add_subcommand("ha", "replication: status, promotion (docs/ha.md)");
  ha->require_subcommand(1);
  auto status = ha->add_subcommand("status", "this node's role, its standbys or its primary, and the lag");
  status->add_flag("--json", o->as_json, "print the JSON of GET /monitor/replication");
  status->footer("Example: almanac --server http://beta:8080 ha status");
  status->callback([&ctx, o] {
    ctx.rc = call_api(ctx, "GET", "/monitor/replication", [&](const json& j) {
      if (o->as_json)
        std::cout << j.dump(2) << "\n";
      else
        print_status(j);
    });
  });
  auto promote = ha->add_subcommand("promote", "make this standby the primary (admin); the old primary is not needed");
  promote->add_flag("--json", o->as_json, "print the JSON answer");
  promote->footer("Example: almanac --server http://beta:8080 ha promote");
  promote->callback([&ctx, o] {
    ctx.rc = call_api(ctx, "POST", "/api/v1/admin/promote", [&](const json& j) {
      if (o->as_json)
        std::cout << j.dump(2) << "\n";
      else
        std::cout << "promoted: epoch " << field(j, "epoch") << " from offset "
                  << field(j, "offset") << " in " << field(j, "took_ms") << " ms\n";
    });
  });
}

} // namespace almanac::cli
