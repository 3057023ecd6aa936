// almanac: the command-line client. Talks to a node over the HTTP API
// (--server, --token / ALMANAC_TOKEN); `almanac log ...` works offline on a
// data directory.
#include "runtime/cli/http_client.hpp"
#include "storage/log/log_commands.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <iomanip>
#include <iostream>

using nlohmann::json;

namespace {

struct globals {
  std::string server = "http://127.0.0.1:8080";
  std::string token;
};

// Prints a failed call's error and returns the exit code.
int report(const almanac::cli::http_result& r, const std::string& server) {
  if (r.status == 0) {
    std::cerr << "almanac: cannot reach " << server << ": " << r.error << "\n";
    return 3;
  }
  try {
    auto j = json::parse(r.body);
    std::cerr << "almanac: HTTP " << r.status << " "
              << j["error"]["code"].get<std::string>() << ": "
              << j["error"]["message"].get<std::string>() << "\n";
  } catch (...) {
    std::cerr << "almanac: HTTP " << r.status << ": " << r.body << "\n";
  }
  if (r.status == 401)
    std::cerr << "hint: pass --token or set ALMANAC_TOKEN (the admin token "
                 "is in <data_dir>/admin.token)\n";
  return r.status == 401 || r.status == 403 ? 4 : 1;
}

std::string pad(const std::string& s, size_t n) {
  return s.size() >= n ? s + " " : s + std::string(n - s.size(), ' ');
}

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

int main(int argc, char** argv) {
  // Diagnostics go to stderr so that stdout stays machine-readable.
  spdlog::set_default_logger(spdlog::stderr_color_mt("almanac"));
  spdlog::set_pattern("%^%l%$: %v");
  CLI::App app{"almanac - command-line client of the Almanac data catalog.\n"
               "Talks to a node over HTTP; `almanac log` works offline on a "
               "data directory."};
  app.require_subcommand(1);
  globals g;
  if (auto env = std::getenv("ALMANAC_SERVER"))
    g.server = env;
  if (auto env = std::getenv("ALMANAC_TOKEN"))
    g.token = env;
  app.add_option("--server", g.server,
                 "node URL (env ALMANAC_SERVER; default http://127.0.0.1:8080)");
  app.add_option("--token", g.token, "bearer token (env ALMANAC_TOKEN)");
  int rc = 0;
  auto api = [&](const std::string& method, const std::string& path,
                 auto on_ok) {
    auto r = almanac::cli::call(method, g.server + path, g.token);
    if (r.status < 200 || r.status >= 300)
      return report(r, g.server);
    on_ok(json::parse(r.body));
    return 0;
  };

  auto health = app.add_subcommand("health", "show the node's health");
  health->callback([&] {
    auto r = almanac::cli::call("GET", g.server + "/health", "");
    if (r.status == 0) {
      rc = report(r, g.server);
      return;
    }
    auto j = json::parse(r.body, nullptr, false);
    std::cout << (j.is_object() ? j.dump(2) : r.body) << "\n";
    rc = r.status == 200 ? 0 : 1;
  });

  auto admin = app.add_subcommand("admin", "actor administration");
  admin->require_subcommand(1);
  bool as_json = false;
  auto actors = admin->add_subcommand("actors", "list supervised actors");
  actors->add_flag("--json", as_json, "print JSON instead of a table");
  actors->callback([&] {
    rc = api("GET", "/api/v1/admin/actors", [&](const json& j) {
      if (as_json)
        std::cout << j.dump(2) << "\n";
      else
        print_actor_table(j);
    });
  });
  std::string actor_name;
  auto restart = admin->add_subcommand("restart", "restart an actor through its supervisor");
  restart->add_option("NAME", actor_name, "actor name (see `almanac admin actors`)")->required();
  restart->callback([&] {
    rc = api("POST", "/api/v1/admin/actors/" + actor_name + "/restart",
             [&](const json&) { std::cout << "restarting " << actor_name << "\n"; });
  });
  auto crash = admin->add_subcommand("crash", "make an actor fail (node needs --enable-fault-injection)");
  crash->add_option("NAME", actor_name, "actor name")->required();
  crash->callback([&] {
    rc = api("POST", "/api/v1/admin/actors/" + actor_name + "/crash",
             [&](const json&) { std::cout << "crashing " << actor_name << "\n"; });
  });

  auto log = app.add_subcommand("log", "inspect or append to an event log offline (node stopped)");
  log->require_subcommand(1);
  std::string data_dir = "./data";
  auto stat = log->add_subcommand("stat", "segments, offsets and bytes");
  stat->add_option("--data-dir", data_dir, "the node's data directory")->required();
  stat->callback([&] { rc = almanac::storage::log_stat(data_dir, std::cout, std::cerr); });
  uint64_t from = 0;
  uint64_t to = 0;
  auto dump = log->add_subcommand("dump", "print records as JSON lines");
  dump->add_option("--data-dir", data_dir, "the node's data directory")->required();
  dump->add_option("--from", from, "first offset (default 0)");
  auto to_opt = dump->add_option("--to", to, "stop before this offset");
  dump->callback([&] {
    std::optional<uint64_t> upto;
    if (to_opt->count() > 0)
      upto = to;
    rc = almanac::storage::log_dump(data_dir, from, upto, std::cout, std::cerr);
  });
  std::string type;
  std::string key;
  auto append = log->add_subcommand("append", "append one record per JSON line of stdin; prints each offset once durable");
  append->add_option("--data-dir", data_dir, "the node's data directory")->required();
  append->add_option("--type", type, "event type name")->required();
  append->add_option("--key", key, "record key");
  append->callback([&] {
    rc = almanac::storage::log_append(data_dir, type, key, std::cin, std::cout, std::cerr);
  });

  CLI11_PARSE(app, argc, argv);
  return rc;
}
