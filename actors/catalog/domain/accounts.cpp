#include "actors/catalog/domain/accounts.hpp"

#include "actors/catalog/domain/fields.hpp"
#include "messages/text_checks.hpp"
#include "actors/catalog/domain/token.hpp"
#include "messages/urn.hpp"
#include "messages/error.hpp"
#include "messages/event_types.hpp"

namespace almanac::catalog {

namespace {

using json = nlohmann::json;

std::string user_urn(const std::string& name) {
  return *make_urn(entity_kind::user, {name});
}

/// A validated {"user", "role"} body and the user's current record.
struct account_request {
  std::string name;
  std::optional<std::string> role;
  std::optional<json> current; ///< The user, if it exists.
};

/// Reads "user" (required, a valid user name) and "role" (required or not),
/// and looks the user up.
caf::expected<account_request> read_account(const json& body, bool role_required,
                                            const state_view& state) {
  if (auto err = require_object(body))
    return err;
  if (auto err = reject_unknown(body, {"user", "role"}))
    return err;
  auto name = read_string(body, "user", true, text_rule::line, 64);
  if (!name)
    return name.error();
  if (auto err = check_user_name("user", **name))
    return err;
  auto role = read_string(body, "role", role_required, text_rule::line, 64);
  if (!role)
    return role.error();
  if (*role && !runtime::parse_role(**role))
    return make_error(ec::invalid_argument, "field 'role' is '" + printable(**role)
                                              + "' (expected viewer, steward or admin)");
  auto current = state.user(**name);
  if (!current)
    return current.error();
  return account_request{std::move(**name), std::move(*role), std::move(*current)};
}

/// Appends a TokenIssued event and fills the reply.
caf::error issue(const std::string& owner, const std::string& role,
                 const std::string& admin, command_result<token_reply>& result) {
  auto token = generate_token();
  if (!token)
    return token.error();
  auto id = new_token_id();
  if (!id)
    return id.error();
  ev::token_issued e;
  e.user = admin;
  e.owner = owner;
  e.token_id = *id;
  e.role = role;
  e.token_sha256 = hash_token(*token);
  result.events.push_back(ev::to_event(e, user_urn(owner)));
  result.reply = token_reply{owner, role, *id, *token, 0};
  return caf::none;
}

} // namespace

caf::expected<command_result<token_reply>> create_user(const json& body, const std::string& admin,
                                          const state_view& state) {
  auto account = read_account(body, true, state);
  if (!account)
    return account.error();
  auto& [name, role, current] = *account;
  if (current)
    return make_error(ec::conflict, "user '" + name + "' already exists");
  command_result<token_reply> result;
  ev::user_created e;
  e.user = admin;
  e.name = name;
  e.role = *role;
  result.events.push_back(ev::to_event(e, user_urn(name)));
  if (auto err = issue(name, *role, admin, result))
    return err;
  return result;
}

caf::expected<command_result<token_reply>> issue_token(const json& body, const std::string& admin,
                                          const state_view& state) {
  auto account = read_account(body, false, state);
  if (!account)
    return account.error();
  auto& [name, role, current] = *account;
  if (!current)
    return make_error(ec::not_found, "no user '" + name + "'");
  auto user_role = current->value("role", std::string{"viewer"});
  if (!role)
    role = user_role;
  // Roles are ordered (runtime/access.hpp): viewer < steward < admin.
  auto asked = runtime::parse_role(*role);
  auto held = runtime::parse_role(user_role);
  if (!asked || !held || *asked > *held)
    return make_error(ec::invalid_argument, "field 'role': '" + *role
                                              + "' exceeds the role of user '" + name
                                              + "' (" + user_role + ")");
  command_result<token_reply> result;
  if (auto err = issue(name, *role, admin, result))
    return err;
  return result;
}

caf::expected<command_result<revoke_reply>> revoke_token(const std::string& token_id,
                                           const std::string& admin,
                                           const state_view& state) {
  auto token = state.token(token_id);
  if (!token)
    return token.error();
  if (!*token)
    return make_error(ec::not_found, "no token '" + printable(token_id) + "'");
  auto owner = (*token)->value("owner", std::string{});
  command_result<revoke_reply> result;
  bool revoked = (*token)->value("revoked", false);
  result.reply = revoke_reply{token_id, owner, !revoked, 0};
  if (!revoked) {
    ev::token_revoked e;
    e.user = admin;
    e.owner = owner;
    e.token_id = token_id;
    result.events.push_back(ev::to_event(e, user_urn(owner)));
  }
  return result;
}

} // namespace almanac::catalog
