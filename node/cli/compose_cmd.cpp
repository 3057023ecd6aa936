// `almanac compose`: runs one read-only SQL query on a source through the
// node and prints the rows as padded columns (a summary on stderr) or as CSV.
#include "node/cli/commands.hpp"

#include <CLI/CLI.hpp>

#include <cstdint>
#include <iostream>
#include <memory>
#include <vector>

namespace almanac::cli {

namespace {

struct compose_options {
  std::string src_name;
  std::string sql;
  uint64_t row_limit = 1000;
  bool csv = false;
};

} // namespace

void add_compose(CLI::App& app, cli_context& ctx) {
  auto o = std::make_shared<compose_options>();
  auto compose = app.add_subcommand("compose", "run SQL on a source (read-only)");
  compose->add_option("SOURCE", o->src_name, "the source")->required();
  compose->add_option("SQL", o->sql, "the query")->required();
  compose->add_option("--limit", o->row_limit, "rows at most (default 1000)");
  compose->add_flag("--csv", o->csv, "print CSV");
  compose->callback([&ctx, o] {
    json body{{"source", o->src_name}, {"sql", o->sql}, {"limit", o->row_limit}};
    ctx.rc = call_api(ctx, "POST", "/api/v1/compose/execute", [&](const json& j) {
      std::vector<std::string> cols = j["columns"];
      if (o->csv) {
        for (size_t i = 0; i < cols.size(); ++i)
          std::cout << (i ? "," : "") << cols[i];
        std::cout << "\n";
        for (auto& row : j["rows"]) {
          for (size_t i = 0; i < row.size(); ++i)
            std::cout << (i ? "," : "") << (row[i].is_string() ? row[i].get<std::string>() : row[i].dump());
          std::cout << "\n";
        }
        return;
      }
      for (auto& c : cols)
        std::cout << pad(c, 20);
      std::cout << "\n";
      for (auto& row : j["rows"]) {
        for (auto& v : row)
          std::cout << pad(v.is_string() ? v.get<std::string>() : v.dump(), 20);
        std::cout << "\n";
      }
      std::cerr << j["rows"].size() << " rows" << (j["truncated"].get<bool>() ? " (truncated)" : "")
                << " in " << j["duration_ms"] << " ms\n";
    }, body);
  });
}

} // namespace almanac::cli
