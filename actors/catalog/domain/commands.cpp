#include "actors/catalog/domain/commands.hpp"

#include "actors/catalog/domain/curation.hpp"
#include "actors/catalog/domain/entity.hpp"
#include "actors/catalog/domain/fields.hpp"
#include "messages/text_checks.hpp"
#include "messages/urn.hpp"
#include "messages/error.hpp"

namespace almanac::catalog {

namespace {

using json = nlohmann::json;

caf::error field_error(ec code, const std::string& field, const caf::error& err) {
  return make_error(code, "field '" + field + "': " + message_of(err));
}

/// Loads an existing entity or fails with not_found.
caf::expected<json> existing(const std::string& urn, const state_view& state) {
  if (auto parsed = parse_urn(urn); !parsed)
    return parsed.error();
  auto entity = state.entity(urn);
  if (!entity)
    return entity.error();
  if (!*entity)
    return make_error(ec::not_found, "no entity " + printable(urn));
  return std::move(**entity);
}

caf::error check_version(const json& entity, std::optional<uint64_t> if_match) {
  auto version = entity.value("version", uint64_t{0});
  if (if_match && *if_match != version)
    return make_error(ec::conflict, "version conflict: "
                                      + entity.value("urn", std::string{})
                                      + " is at version " + std::to_string(version)
                                      + ", not " + std::to_string(*if_match)
                                      + " (If-Match)");
  return caf::none;
}

/// Resolves the "parent" field of a registration: returns the parent URN
/// (null for top-level kinds) after checking it matches the URN and exists.
caf::expected<json> resolve_parent(const json& body, const std::string& urn,
                                   entity_kind kind, const state_view& state) {
  auto i = body.find("parent");
  bool given = i != body.end() && !i->is_null();
  if (given && !i->is_string())
    return make_error(ec::bad_request, std::string{"field 'parent' must be a string "
                                                   "or null, not "}
                                         + i->type_name());
  auto kinds = parent_kinds(kind);
  if (kinds.empty()) {
    if (given)
      return make_error(ec::invalid_argument, std::string{"field 'parent': a "}
                                                + to_string(kind)
                                                + " has no parent");
    return json(nullptr);
  }
  std::vector<std::string> candidates;
  for (auto k : kinds)
    candidates.push_back(*parent_urn(urn, k));
  if (given) {
    auto parent = i->get<std::string>();
    if (std::find(candidates.begin(), candidates.end(), parent) == candidates.end()) {
      auto expected = candidates.front();
      for (size_t k = 1; k < candidates.size(); ++k)
        expected += " or " + candidates[k];
      return make_error(ec::invalid_argument, "field 'parent' is '" + printable(parent)
                                                + "' but the urn's parent is "
                                                + expected);
    }
    candidates = {parent};
  }
  for (auto& candidate : candidates) {
    auto found = state.entity(candidate);
    if (!found)
      return found.error();
    if (*found)
      return json(candidate);
  }
  return make_error(ec::invalid_argument, "field 'parent': no entity "
                                            + candidates.front()
                                            + " (register the parent first)");
}

/// Validates urn, kind and name; returns the parsed URN.
caf::expected<parsed_urn> read_identity(const json& body) {
  auto urn = read_string(body, "urn", true, text_rule::line, limits::urn_bytes);
  if (!urn)
    return urn.error();
  auto parsed = parse_urn(**urn);
  if (!parsed)
    return field_error(ec::invalid_argument, "urn", parsed.error());
  auto kind = read_string(body, "kind", true, text_rule::line, 64);
  if (!kind)
    return kind.error();
  auto k = parse_kind(**kind);
  if (!k)
    return make_error(ec::invalid_argument, "field 'kind': unknown kind '"
                                              + printable(**kind) + "'");
  if (*k != parsed->kind)
    return make_error(ec::invalid_argument, "field 'kind' is '" + **kind
                                              + "' but the urn is a "
                                              + to_string(parsed->kind));
  auto name = body.find("name");
  if (name != body.end()) {
    if (!name->is_string())
      return make_error(ec::bad_request, std::string{"field 'name' must be a string, not "}
                                           + name->type_name());
    if (*name != parsed->names.back())
      return make_error(ec::invalid_argument, "field 'name' is '"
                                                + printable(name->get<std::string>())
                                                + "' but the urn names '"
                                                + printable(parsed->names.back()) + "'");
  }
  return parsed;
}

/// The attributes of column `entity` with profile_raw_values set to `allow`
/// (absent when false). Turning it off drops a stored profile that holds
/// raw values of personal data; the next profile is made without them.
caf::expected<json> set_raw_values(const json& entity, bool allow) {
  if (entity.value("kind", std::string{}) != "column")
    return make_error(ec::invalid_argument, std::string{"field '"} + raw_values_field
                                              + "': only columns have profiles with raw values");
  auto attributes = entity.value("attributes", json::object());
  if (allow) {
    attributes[raw_values_field] = true;
    return attributes;
  }
  attributes.erase(raw_values_field);
  auto profile = attributes.find("profile");
  if (profile != attributes.end() && profile->is_object()) {
    auto pii = profile->value("pii", json(nullptr));
    if (pii.is_object() && pii.value("raw_values", false))
      attributes.erase(profile);
  }
  return attributes;
}

/// Appends EntityRemoved events for `urn`'s descendants (deepest first),
/// then for `urn` itself.
caf::error remove_tree(const json& entity, const std::string& root,
                       const std::string& user, const state_view& state,
                       std::vector<event_input>& events) {
  auto urn = entity.value("urn", std::string{});
  auto children = state.children(urn);
  if (!children)
    return children.error();
  for (auto& child : *children) {
    auto found = state.entity(child);
    if (!found)
      return found.error();
    if (*found)
      if (auto err = remove_tree(**found, root, user, state, events))
        return err;
  }
  ev::entity_removed e;
  e.user = user;
  e.urn = urn;
  e.kind = entity.value("kind", std::string{});
  if (auto p = entity.value("parent", json(nullptr)); p.is_string())
    e.parent = p.get<std::string>();
  e.version = entity.value("version", uint64_t{0}) + 1;
  if (urn != root)
    e.cascade_of = root;
  events.push_back(ev::to_event(e, urn));
  return caf::none;
}

bool is_source(const json& entity) {
  return entity.value("kind", std::string{}) == "source";
}

/// The refusal of a generic command that would touch a source's
/// configuration: `what` is done only through `route` of the sources API.
caf::error sources_only(const std::string& what, const char* route) {
  return make_error(ec::forbidden, what + " only through the sources API (admin): "
                                     + route);
}

/// The registration itself, for any kind (the callers check who may).
caf::expected<command_result<register_reply>> register_any(const json& body, const std::string& user,
                                           const state_view& state) {
  if (auto err = require_object(body))
    return err;
  if (auto err = reject_unknown(body, entity_fields()))
    return err;
  auto parsed = read_identity(body);
  if (!parsed)
    return parsed.error();
  auto urn = body.at("urn").get<std::string>();
  auto curated = read_curated(body, state);
  if (!curated)
    return curated.error();
  json attributes = json::object();
  if (auto i = body.find("attributes"); i != body.end()) {
    if (!i->is_object())
      return make_error(ec::bad_request, std::string{"field 'attributes' must be "
                                                     "an object, not "}
                                           + i->type_name());
    if (auto err = check_free_form("attributes", *i))
      return err;
    attributes = *i;
  }
  auto parent = resolve_parent(body, urn, parsed->kind, state);
  if (!parent)
    return parent.error();
  auto current = state.entity(urn);
  if (!current)
    return current.error();
  if (*current)
    return make_error(ec::conflict, "entity " + urn + " already exists");
  auto changes = ev::from_json<ev::entity_changes>(*curated);
  if (!changes)
    return changes.error();
  ev::entity_registered e;
  e.user = user;
  e.urn = urn;
  e.kind = to_string(parsed->kind);
  e.name = parsed->names.back();
  if (parent->is_string())
    e.parent = parent->get<std::string>();
  e.title = changes->title.value_or("");
  e.description = changes->description.value_or("");
  e.tags = changes->tags.value_or(std::vector<std::string>{});
  e.stewards = changes->stewards.value_or(std::vector<std::string>{});
  e.terms = changes->terms.value_or(std::vector<std::string>{});
  e.deprecated = changes->deprecated.value_or(false);
  e.endorsed = changes->endorsed.value_or(false);
  e.attributes = std::move(attributes);
  e.version = 1;
  command_result<register_reply> result;
  result.events.push_back(ev::to_event(e, urn));
  result.reply = register_reply{urn, 1, 0};
  return result;
}

/// The replacement itself (the callers check who may).
caf::expected<command_result<edit_reply>> replace_any(const json& entity, const json& attributes,
                                          const std::string& user) {
  if (!attributes.is_object())
    return make_error(ec::bad_request, "attributes must be a JSON object");
  auto urn = entity.value("urn", std::string{});
  auto version = entity.value("version", uint64_t{0});
  command_result<edit_reply> out;
  if (entity.value("attributes", json::object()) == attributes) {
    out.reply = edit_reply{urn, version, false, 0};
    return out;
  }
  ev::entity_edited e;
  e.user = user;
  e.urn = urn;
  e.version = version + 1;
  e.previous_version = version;
  e.fields_set.attributes = attributes;
  out.events.push_back(ev::to_event(e, urn));
  out.reply = edit_reply{urn, version + 1, true, 0};
  return out;
}

} // namespace

caf::expected<command_result<register_reply>> register_entity(const json& body,
                                              const std::string& user,
                                              const state_view& state) {
  if (auto err = require_object(body))
    return err;
  auto kind = body.find("kind");
  auto urn = body.find("urn");
  if ((kind != body.end() && *kind == "source")
      || (urn != body.end() && urn->is_string()
          && urn->get_ref<const std::string&>().rfind("urn:almanac:source:", 0) == 0))
    return sources_only("a source is registered", "POST /api/v1/sources");
  if (auto i = body.find("attributes"); i != body.end() && i->is_object()
                                        && i->contains("connection"))
    return sources_only("field 'attributes.connection': a connection is set",
                        "POST or PATCH /api/v1/sources[/{name}]");
  return register_any(body, user, state);
}

caf::expected<command_result<register_reply>> register_source(const json& body,
                                              const std::string& user,
                                              const state_view& state) {
  if (auto err = require_object(body))
    return err;
  if (auto kind = body.find("kind"); kind == body.end() || *kind != "source")
    return make_error(ec::invalid_argument, "field 'kind' must be 'source' here");
  return register_any(body, user, state);
}

caf::expected<command_result<edit_reply>> replace_attributes(const std::string& urn,
                                                 const json& attributes,
                                                 const std::string& user,
                                                 const state_view& state) {
  auto entity = existing(urn, state);
  if (!entity)
    return entity.error();
  if (is_source(*entity))
    return sources_only("a source's attributes are changed",
                        "PATCH /api/v1/sources/{name}");
  auto old = entity->value("attributes", json::object());
  if (attributes.is_object()
      && old.value("connection", json()) != attributes.value("connection", json()))
    return sources_only("'attributes.connection' is changed",
                        "PATCH /api/v1/sources/{name}");
  return replace_any(*entity, attributes, user);
}

caf::expected<command_result<edit_reply>> replace_source_attributes(const std::string& urn,
                                                        const json& attributes,
                                                        const std::string& user,
                                                        const state_view& state) {
  auto entity = existing(urn, state);
  if (!entity)
    return entity.error();
  if (!is_source(*entity))
    return make_error(ec::invalid_argument, urn + " is not a source");
  return replace_any(*entity, attributes, user);
}

caf::expected<command_result<edit_reply>> edit_entity(const std::string& urn, const json& body,
                                          std::optional<uint64_t> if_match,
                                          const std::string& user,
                                          const state_view& state) {
  if (auto err = require_object(body))
    return err;
  for (auto& [key, value] : body.items())
    if (key == "urn" || key == "kind" || key == "name" || key == "parent"
        || key == "attributes")
      return make_error(ec::bad_request, "field '" + key + "' cannot be edited");
  auto allowed = curated_fields();
  allowed.push_back(raw_values_field);
  if (auto err = reject_unknown(body, allowed))
    return err;
  auto raw_values = body.find(raw_values_field);
  if (raw_values != body.end() && !raw_values->is_boolean())
    return make_error(ec::bad_request, std::string{"field '"} + raw_values_field
                                         + "' must be a boolean, not "
                                         + raw_values->type_name());
  auto entity = existing(urn, state);
  if (!entity)
    return entity.error();
  if (auto err = check_version(*entity, if_match))
    return err;
  auto curated = read_curated(body, state);
  if (!curated)
    return curated.error();
  json changed = json::object();
  for (auto& [key, value] : curated->items())
    if (entity->value(key, json(nullptr)) != value)
      changed[key] = value;
  if (raw_values != body.end()) {
    auto attributes = set_raw_values(*entity, raw_values->get<bool>());
    if (!attributes)
      return attributes.error();
    if (*attributes != entity->value("attributes", json::object()))
      changed["attributes"] = std::move(*attributes);
  }
  auto version = entity->value("version", uint64_t{0});
  command_result<edit_reply> result;
  if (changed.empty()) {
    result.reply = edit_reply{urn, version, false, 0};
    return result;
  }
  auto fields = ev::from_json<ev::entity_changes>(changed);
  if (!fields)
    return fields.error();
  ev::entity_edited e;
  e.user = user;
  e.urn = urn;
  e.version = version + 1;
  e.previous_version = version;
  e.fields_set = std::move(*fields);
  result.events.push_back(ev::to_event(e, urn));
  result.reply = edit_reply{urn, version + 1, true, 0};
  return result;
}

caf::expected<command_result<remove_reply>> remove_entity(const std::string& urn,
                                            std::optional<uint64_t> if_match,
                                            bool cascade, const std::string& user,
                                            const state_view& state) {
  auto entity = existing(urn, state);
  if (!entity)
    return entity.error();
  if (is_source(*entity))
    return sources_only("a source (and its stored secret) is removed",
                        "DELETE /api/v1/sources/{name}");
  if (auto err = check_version(*entity, if_match))
    return err;
  if (!cascade) {
    auto children = state.children(urn);
    if (!children)
      return children.error();
    if (!children->empty())
      return make_error(ec::conflict, urn + " has " + std::to_string(children->size())
                                        + " children (first: " + children->front()
                                        + "); remove them first or cascade");
  }
  command_result<remove_reply> result;
  if (auto err = remove_tree(*entity, urn, user, state, result.events))
    return err;
  result.reply = remove_reply{urn, result.events.size(), 0};
  return result;
}

caf::expected<command_result<remove_reply>> remove_source(const std::string& urn,
                                            const std::string& user,
                                            const state_view& state) {
  auto entity = existing(urn, state);
  if (!entity)
    return entity.error();
  if (!is_source(*entity))
    return make_error(ec::invalid_argument, urn + " is not a source");
  command_result<remove_reply> result;
  if (auto err = remove_tree(*entity, urn, user, state, result.events))
    return err;
  result.reply = remove_reply{urn, result.events.size(), 0};
  return result;
}

} // namespace almanac::catalog
