// almanac: the command-line client. Talks to a node over the HTTP API
// (--server, --token / ALMANAC_TOKEN); `almanac log ...` works offline on a
// data directory.
#include "node/cli/http_client.hpp"
#include "storage/log/log_commands.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cctype>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <thread>

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

// Percent-encodes a path segment (a URN becomes one segment).
std::string encode_segment(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

// Splits "a,b,c" into a JSON array of strings ("" -> []).
json split_list(const std::string& s) {
  auto result = json::array();
  std::string cur;
  for (char c : s) {
    if (c == ',') {
      if (!cur.empty())
        result.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty())
    result.push_back(cur);
  return result;
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

  // -- catalog ---------------------------------------------------------------
  auto call_body = [&](const std::string& method, const std::string& path,
                       const json& body, auto on_ok,
                       const std::string& if_match = {}) {
    auto r = almanac::cli::call(method, g.server + path, g.token,
                                body.is_null() ? std::string{} : body.dump(),
                                if_match);
    if (r.status < 200 || r.status >= 300)
      return report(r, g.server);
    on_ok(json::parse(r.body));
    return 0;
  };
  auto entity = app.add_subcommand("entity", "read and curate catalog entities");
  entity->require_subcommand(1);
  std::string urn;
  std::string as_of;
  auto eget = entity->add_subcommand("get", "show an entity (JSON)");
  eget->add_option("URN", urn, "e.g. urn:almanac:table:pagila.public.film")->required();
  eget->add_option("--as-of", as_of, "a log offset or ISO-8601 time (time travel)");
  eget->callback([&] {
    auto path = "/api/v1/entities/" + encode_segment(urn)
                + (as_of.empty() ? "" : "?as_of=" + encode_segment(as_of));
    rc = api("GET", path, [&](const json& j) { std::cout << j.dump(2) << "\n"; });
  });
  std::string title, description, tags, stewards, terms, deprecated, endorsed;
  int64_t if_match = -1;
  auto eedit = entity->add_subcommand("edit", "change curated fields");
  eedit->add_option("URN", urn, "the entity")->required();
  eedit->add_option("--title", title, "display title");
  eedit->add_option("--description", description, "Markdown description");
  eedit->add_option("--tags", tags, "comma-separated tags (replaces the list)");
  eedit->add_option("--stewards", stewards, "comma-separated user names");
  eedit->add_option("--terms", terms, "comma-separated glossary term URNs");
  eedit->add_option("--deprecated", deprecated, "true or false")->check(CLI::IsMember({"true", "false"}));
  eedit->add_option("--endorsed", endorsed, "true or false")->check(CLI::IsMember({"true", "false"}));
  eedit->add_option("--if-match", if_match, "only if the entity is at this version");
  eedit->callback([&] {
    json body = json::object();
    if (eedit->count("--title")) body["title"] = title;
    if (eedit->count("--description")) body["description"] = description;
    if (eedit->count("--tags")) body["tags"] = split_list(tags);
    if (eedit->count("--stewards")) body["stewards"] = split_list(stewards);
    if (eedit->count("--terms")) body["terms"] = split_list(terms);
    if (eedit->count("--deprecated")) body["deprecated"] = deprecated == "true";
    if (eedit->count("--endorsed")) body["endorsed"] = endorsed == "true";
    if (body.empty()) {
      std::cerr << "almanac: nothing to change (see almanac entity edit --help)\n";
      rc = 2;
      return;
    }
    rc = call_body("PATCH", "/api/v1/entities/" + encode_segment(urn), body,
                   [&](const json& j) {
                     std::cout << urn << " is now at version " << j["version"]
                               << " (offset " << j["offset"] << ")\n";
                   },
                   if_match >= 0 ? "\"" + std::to_string(if_match) + "\"" : "");
  });
  auto ehist = entity->add_subcommand(
    "history", "its changes, oldest first (the newest 1,000 unless --all)\n"
               "  almanac entity history urn:almanac:table:pagila.public.film --all");
  ehist->add_option("URN", urn, "the entity")->required();
  uint64_t hist_limit = 1000;
  bool hist_all = false;
  ehist->add_option("--limit", hist_limit, "changes per page (1 to 1000)")
    ->check(CLI::Range(uint64_t{1}, uint64_t{1000}));
  ehist->add_flag("--all", hist_all, "follow the pages back to the first change");
  ehist->callback([&] {
    // Pages come newest first; each names the offset to read before.
    std::vector<json> pages;
    std::string before;
    for (;;) {
      auto path = "/api/v1/entities/" + encode_segment(urn) + "/history?limit="
                  + std::to_string(hist_limit) + before;
      bool more = false;
      rc = api("GET", path, [&](const json& j) {
        pages.push_back(j["changes"]);
        more = j.value("more", false) && j.contains("before");
        if (more)
          before = "&before=" + std::to_string(j["before"].get<uint64_t>());
      });
      if (rc != 0 || !more || !hist_all)
        break;
    }
    if (rc != 0)
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
    if (!hist_all && pages.size() == 1 && !before.empty())
      std::cout << "(older changes: --all)\n";
  });

  auto users = app.add_subcommand("users", "list users, or add one (admin)");
  std::string user_name, role;
  users->callback([&] {
    if (users->get_subcommands().empty())
      rc = api("GET", "/api/v1/users", [&](const json& j) {
        for (auto& u : j["users"])
          std::cout << pad(u["name"].get<std::string>(), 20) << u["role"].get<std::string>() << "\n";
      });
  });
  auto uadd = users->add_subcommand("add", "create a user; prints its first token once");
  uadd->add_option("NAME", user_name, "user name")->required();
  uadd->add_option("--role", role, "viewer, steward or admin")->required();
  uadd->callback([&] {
    rc = call_body("POST", "/api/v1/users", json{{"user", user_name}, {"role", role}},
                   [&](const json& j) {
                     std::cout << "user " << user_name << " (" << role << ")\ntoken "
                               << j["token"].get<std::string>() << "  (id "
                               << j["token_id"].get<std::string>() << "; shown once)\n";
                   });
  });

  auto tokens = app.add_subcommand("tokens", "API tokens (admin)");
  tokens->require_subcommand(1);
  auto tlist = tokens->add_subcommand("list", "tokens of a user");
  tlist->add_option("--user", user_name, "user name")->required();
  tlist->callback([&] {
    rc = api("GET", "/api/v1/tokens?user=" + encode_segment(user_name), [&](const json& j) {
      for (auto& t : j["tokens"])
        std::cout << pad(t["id"].get<std::string>(), 24) << pad(t["role"].get<std::string>(), 10)
                  << (t["revoked"].get<bool>() ? "revoked" : "active") << "\n";
    });
  });
  auto tissue = tokens->add_subcommand("issue", "issue a token; prints it once");
  tissue->add_option("--user", user_name, "user name")->required();
  tissue->add_option("--role", role, "at most the user's role (default: the user's)");
  tissue->callback([&] {
    json body{{"user", user_name}};
    if (!role.empty())
      body["role"] = role;
    rc = call_body("POST", "/api/v1/tokens", body, [&](const json& j) {
      std::cout << j["token"].get<std::string>() << "  (id " << j["token_id"].get<std::string>()
                << "; shown once)\n";
    });
  });
  std::string token_id;
  auto trevoke = tokens->add_subcommand("revoke", "revoke a token by id");
  trevoke->add_option("ID", token_id, "token id (tok-...)")->required();
  trevoke->callback([&] {
    rc = call_body("DELETE", "/api/v1/tokens/" + encode_segment(token_id), nullptr,
                   [&](const json&) { std::cout << "revoked " << token_id << "\n"; });
  });

  auto events = app.add_subcommand("events", "the event stream");
  events->require_subcommand(1);
  std::string tail_from = "end";
  std::string types;
  auto tail = events->add_subcommand("tail", "print events as JSON lines as they happen (Ctrl-C stops)");
  tail->add_option("--from", tail_from, "first offset, or 'end' (default) for new events only");
  tail->add_option("--types", types, "comma-separated event types");
  tail->callback([&] {
    std::string next = tail_from;
    for (;;) {
      auto path = "/api/v1/events?wait_ms=10000&max=1000&from=" + next
                  + (types.empty() ? "" : "&types=" + encode_segment(types));
      auto r = almanac::cli::call("GET", g.server + path, g.token);
      if (r.status != 200) {
        rc = report(r, g.server);
        return;
      }
      auto j = json::parse(r.body);
      for (auto& e : j["events"])
        std::cout << e.dump() << std::endl;
      next = std::to_string(j["next"].get<uint64_t>());
    }
  });

  // -- sources, jobs, compose -------------------------------------------------
  auto sources = app.add_subcommand("sources", "source databases (admin)");
  sources->require_subcommand(1);
  std::string src_name, src_kind, src_dsn, src_path, src_password_env, src_description;
  auto sadd = sources->add_subcommand("add", "register a source");
  sadd->add_option("NAME", src_name, "the source's name in the catalog")->required();
  sadd->add_option("--kind", src_kind, "postgresql or sqlite")->required();
  sadd->add_option("--dsn", src_dsn, "libpq connection string (postgresql), without the password");
  sadd->add_option("--path", src_path, "database file (sqlite)");
  sadd->add_option("--password-env", src_password_env,
                   "environment variable holding the password on the node");
  sadd->add_option("--description", src_description, "Markdown description");
  sadd->callback([&] {
    json body{{"name", src_name}, {"kind", src_kind}};
    if (!src_dsn.empty()) body["dsn"] = src_dsn;
    if (!src_path.empty()) body["path"] = src_path;
    if (!src_password_env.empty()) body["password_env"] = src_password_env;
    if (!src_description.empty()) body["description"] = src_description;
    rc = call_body("POST", "/api/v1/sources", body, [&](const json& j) {
      std::cout << "registered " << j["urn"].get<std::string>() << "\n";
    });
  });
  auto slist = sources->add_subcommand("list", "list sources");
  slist->callback([&] {
    rc = api("GET", "/api/v1/sources", [&](const json& j) {
      for (auto& x : j["sources"])
        std::cout << pad(x["name"].get<std::string>(), 20) << pad(x["kind"].get<std::string>(), 12)
                  << x.value("dsn", x.value("path", std::string{})) << "\n";
    });
  });
  auto sset = sources->add_subcommand("set", "change a source's dsn, path or password variable");
  sset->add_option("NAME", src_name, "the source")->required();
  sset->add_option("--dsn", src_dsn, "libpq connection string, without the password");
  sset->add_option("--path", src_path, "database file (sqlite)");
  sset->add_option("--password-env", src_password_env, "environment variable holding the password");
  sset->callback([&] {
    json body = json::object();
    if (!src_dsn.empty()) body["dsn"] = src_dsn;
    if (!src_path.empty()) body["path"] = src_path;
    if (!src_password_env.empty()) body["password_env"] = src_password_env;
    rc = call_body("PATCH", "/api/v1/sources/" + encode_segment(src_name), body,
                   [&](const json& j) {
                     std::cout << src_name << (j.value("changed", false) ? " changed" : " unchanged")
                               << "\n";
                   });
  });
  auto sremove = sources->add_subcommand("remove", "remove a source and everything below it");
  sremove->add_option("NAME", src_name, "the source")->required();
  sremove->callback([&] {
    rc = call_body("DELETE", "/api/v1/sources/" + encode_segment(src_name), nullptr,
                   [&](const json& j) {
                     std::cout << "removed " << j.value("removed", 0) << " entities\n";
                   });
  });

  // Waits for a job, drawing a progress bar on stderr.
  auto wait_job = [&](const std::string& id) {
    for (;;) {
      auto r = almanac::cli::call("GET", g.server + "/api/v1/jobs/" + id, g.token);
      if (r.status != 200)
        return report(r, g.server);
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
  };
  bool wait = false;
  std::vector<std::string> only_tables;
  for (std::string kind : {"extract", "profile"}) {
    auto cmd = app.add_subcommand(kind, kind == "extract"
                                          ? "extract a source's metadata into the catalog"
                                          : "profile a source's columns");
    cmd->add_option("SOURCE", src_name, "the source")->required();
    cmd->add_option("--tables", only_tables, "only these tables (schema.table)");
    cmd->add_flag("--wait", wait, "wait for the job, with a progress bar");
    cmd->callback([&, kind] {
      json body = json::object();
      if (!only_tables.empty())
        body["tables"] = only_tables;
      std::string id;
      rc = call_body("POST", "/api/v1/sources/" + encode_segment(src_name) + "/" + kind, body,
                     [&](const json& j) { id = j["job"].get<std::string>(); });
      if (rc != 0)
        return;
      std::cout << "job " << id << "\n";
      if (wait)
        rc = wait_job(id);
    });
  }
  auto jobs_cmd = app.add_subcommand("jobs", "list jobs, or show one");
  std::string job_id;
  jobs_cmd->add_option("ID", job_id, "a job id");
  jobs_cmd->callback([&] {
    if (!job_id.empty()) {
      rc = api("GET", "/api/v1/jobs/" + encode_segment(job_id),
               [&](const json& j) { std::cout << j.dump(2) << "\n"; });
      return;
    }
    rc = api("GET", "/api/v1/jobs", [&](const json& j) {
      for (auto& x : j["jobs"])
        std::cout << pad(x["id"].get<std::string>(), 12) << pad(x["kind"].get<std::string>(), 10)
                  << pad(x["source"].get<std::string>(), 16) << pad(x["state"].get<std::string>(), 11)
                  << x["progress"]["done"] << "/" << x["progress"]["total"]
                  << (x["error"].is_null() ? "" : "  " + x["error"].get<std::string>()) << "\n";
    });
  });
  std::string sql;
  uint64_t row_limit = 1000;
  bool csv = false;
  auto compose = app.add_subcommand("compose", "run SQL on a source (read-only)");
  compose->add_option("SOURCE", src_name, "the source")->required();
  compose->add_option("SQL", sql, "the query")->required();
  compose->add_option("--limit", row_limit, "rows at most (default 1000)");
  compose->add_flag("--csv", csv, "print CSV");
  compose->callback([&] {
    json body{{"source", src_name}, {"sql", sql}, {"limit", row_limit}};
    rc = call_body("POST", "/api/v1/compose/execute", body, [&](const json& j) {
      std::vector<std::string> cols = j["columns"];
      if (csv) {
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
    });
  });

  auto search_cmd = app.add_subcommand("search", "search the catalog");
  std::string text, kind_filter;
  uint64_t hits = 10;
  search_cmd->add_option("TEXT", text, "words, \"phrases\", prefix*")->required();
  search_cmd->add_option("--kind", kind_filter, "only this kind (table, view, column, ...)");
  search_cmd->add_option("--limit", hits, "results (default 10)");
  search_cmd->callback([&] {
    auto path = "/api/v1/search?q=" + encode_segment(text) + "&limit=" + std::to_string(hits)
                + (kind_filter.empty() ? "" : "&kind=" + encode_segment(kind_filter));
    rc = api("GET", path, [&](const json& j) {
      for (auto& r : j["results"])
        std::cout << pad(r["kind"].get<std::string>(), 8) << r["urn"].get<std::string>() << "\n";
      std::cerr << j["total"] << " results\n";
    });
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
