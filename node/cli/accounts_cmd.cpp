// `almanac users` and `almanac tokens`: accounts (admin). List users or add
// one (printing its first token once); list a user's tokens, issue one
// (printed once) or revoke one by id.
#include "node/cli/commands.hpp"

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

namespace almanac::cli {

namespace {

struct accounts_options {
  std::string user_name, role;
  std::string token_id;
};

} // namespace

void add_accounts(CLI::App& app, cli_context& ctx) {
  auto o = std::make_shared<accounts_options>();
  auto users = app.add_subcommand("users", "list users, or add one (admin)");
  users->callback([&ctx, users] {
    if (users->get_subcommands().empty())
      ctx.rc = call_api(ctx, "GET", "/api/v1/users", [&](const json& j) {
        for (auto& u : j["users"])
          std::cout << pad(u["name"].get<std::string>(), 20) << u["role"].get<std::string>() << "\n";
      });
  });
  auto uadd = users->add_subcommand("add", "create a user; prints its first token once");
  uadd->add_option("NAME", o->user_name, "user name")->required();
  uadd->add_option("--role", o->role, "viewer, steward or admin")->required();
  uadd->callback([&ctx, o] {
    ctx.rc = call_api(ctx, "POST", "/api/v1/users",
                      [&](const json& j) {
                        std::cout << "user " << o->user_name << " (" << o->role << ")\ntoken "
                                  << j["token"].get<std::string>() << "  (id "
                                  << j["token_id"].get<std::string>() << "; shown once)\n";
                      },
                      json{{"user", o->user_name}, {"role", o->role}});
  });

  auto tokens = app.add_subcommand("tokens", "API tokens (admin)");
  tokens->require_subcommand(1);
  auto tlist = tokens->add_subcommand("list", "tokens of a user");
  tlist->add_option("--user", o->user_name, "user name")->required();
  tlist->callback([&ctx, o] {
    ctx.rc = call_api(ctx, "GET", "/api/v1/tokens?user=" + encode_segment(o->user_name),
                      [&](const json& j) {
                        for (auto& t : j["tokens"])
                          std::cout << pad(t["id"].get<std::string>(), 24)
                                    << pad(t["role"].get<std::string>(), 10)
                                    << (t["revoked"].get<bool>() ? "revoked" : "active") << "\n";
                      });
  });
  auto tissue = tokens->add_subcommand("issue", "issue a token; prints it once");
  tissue->add_option("--user", o->user_name, "user name")->required();
  tissue->add_option("--role", o->role, "at most the user's role (default: the user's)");
  tissue->callback([&ctx, o] {
    json body{{"user", o->user_name}};
    if (!o->role.empty())
      body["role"] = o->role;
    ctx.rc = call_api(ctx, "POST", "/api/v1/tokens",
                      [&](const json& j) {
                        std::cout << j["token"].get<std::string>() << "  (id "
                                  << j["token_id"].get<std::string>() << "; shown once)\n";
                      },
                      body);
  });
  auto trevoke = tokens->add_subcommand("revoke", "revoke a token by id");
  trevoke->add_option("ID", o->token_id, "token id (tok-...)")->required();
  trevoke->callback([&ctx, o] {
    ctx.rc = call_api(ctx, "DELETE", "/api/v1/tokens/" + encode_segment(o->token_id),
                      [&](const json&) { std::cout << "revoked " << o->token_id << "\n"; });
  });
}

} // namespace almanac::cli
