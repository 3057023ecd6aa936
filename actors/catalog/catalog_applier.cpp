#include "actors/catalog/catalog_applier.hpp"

#include "actors/catalog/batch_overlay.hpp"
#include "actors/catalog/catalog_keys.hpp"
#include "actors/catalog/entity.hpp"
#include "actors/catalog/stored_json.hpp"
#include "messages/error.hpp"

#include <nlohmann/json.hpp>
#include <rocksdb/write_batch.h>

namespace almanac::catalog {

namespace {

using json = nlohmann::json;

/// Reads a JSON value from the overlay; nullopt if absent.
caf::expected<std::optional<json>> load(batch_overlay& overlay, const std::string& key) {
  return parse_stored(overlay.get(key), key);
}

caf::error skip(ec code, const std::string& why) {
  return make_error(code, why);
}

} // namespace

catalog_applier::catalog_applier(batch_overlay& overlay, rocksdb::WriteBatch& batch)
  : overlay_(overlay), batch_(batch) {
  // nop
}

caf::error catalog_applier::apply(const event_record& record) {
  auto payload = json::parse(record.payload, nullptr, false);
  if (!payload.is_object())
    return skip(ec::invalid_argument, "payload is not a JSON object");
  change_info info{record.offset, record.timestamp_ms, {}};
  try {
    info.user = payload.value("user", std::string{});
    auto name = parse_event_tag(record.type).first;
    if (name == "EntityRegistered")
      return registered(payload, info);
    if (name == "EntityEdited")
      return edited(payload, info);
    if (name == "EntityRemoved")
      return removed(payload, info);
    if (name == "UserCreated")
      return user_created(payload, info);
    if (name == "TokenIssued")
      return token_issued(payload, info);
    if (name == "TokenRevoked")
      return token_revoked(payload, info);
    return skip(ec::invalid_argument, "not a catalog event: " + record.type);
  } catch (const json::exception& e) {
    // A field of the wrong type: the payload does not follow its schema.
    return skip(ec::invalid_argument, std::string{"malformed payload: "} + e.what());
  }
}

caf::error catalog_applier::registered(const json& payload, const change_info& info) {
  auto urn = payload.at("urn").get<std::string>();
  auto current = load(overlay_, keys::entity(urn));
  if (!current)
    return current.error();
  if (*current)
    return skip(ec::conflict, urn + " is registered already");
  auto entity = registered_entity(payload, info);
  overlay_.put(keys::entity(urn), entity.dump());
  if (auto& parent = entity["parent"]; parent.is_string()) {
    batch_.Put(keys::child(parent.get<std::string>(), urn), "");
    batch_.Put(keys::any_child(parent.get<std::string>(), urn), "");
  }
  json fields = json::object();
  for (auto& field : entity_fields())
    fields[field] = entity[field];
  record_change(urn, info, "registered", entity["version"], fields, entity);
  return count(+1);
}

caf::error catalog_applier::edited(const json& payload, const change_info& info) {
  auto urn = payload.at("urn").get<std::string>();
  auto current = load(overlay_, keys::entity(urn));
  if (!current)
    return current.error();
  if (!*current)
    return skip(ec::not_found, "edit of unknown entity " + urn);
  auto& entity = **current;
  apply_edit(entity, payload, info);
  overlay_.put(keys::entity(urn), entity.dump());
  record_change(urn, info, "edited", entity["version"],
                payload.value("fields", json::object()), entity);
  return caf::none;
}

caf::error catalog_applier::removed(const json& payload, const change_info& info) {
  auto urn = payload.at("urn").get<std::string>();
  auto current = load(overlay_, keys::entity(urn));
  if (!current)
    return current.error();
  if (!*current)
    return skip(ec::not_found, "removal of unknown entity " + urn);
  auto& entity = **current;
  // Read everything that may throw before writing anything.
  auto version = payload.value("version", entity.value("version", uint64_t{0}) + 1);
  overlay_.erase(keys::entity(urn));
  if (auto& parent = entity["parent"]; parent.is_string())
    batch_.Delete(keys::child(parent.get<std::string>(), urn));
  record_change(urn, info, "removed", version, json::object(), nullptr);
  return count(-1);
}

caf::error catalog_applier::user_created(const json& payload, const change_info& info) {
  auto name = payload.at("name").get<std::string>();
  auto current = load(overlay_, keys::user(name));
  if (!current)
    return current.error();
  if (*current)
    return skip(ec::conflict, "user " + name + " exists already");
  json user{{"name", name},
            {"role", payload.at("role").get<std::string>()},
            {"created", to_json(info)}};
  overlay_.put(keys::user(name), user.dump());
  return caf::none;
}

caf::error catalog_applier::token_issued(const json& payload, const change_info& info) {
  auto hash = payload.at("token_sha256").get<std::string>();
  auto id = payload.at("token_id").get<std::string>();
  auto owner = payload.at("owner").get<std::string>();
  auto current = load(overlay_, keys::token_id(id));
  if (!current)
    return current.error();
  if (*current)
    return skip(ec::conflict, "token id " + id + " exists already");
  json token{{"id", id},
             {"owner", owner},
             {"role", payload.at("role").get<std::string>()},
             {"revoked", false},
             {"issued", to_json(info)}};
  overlay_.put(keys::token(hash), token.dump());
  overlay_.put(keys::token_id(id), json(hash).dump());
  batch_.Put(keys::owned_token(owner, id), "");
  return caf::none;
}

caf::error catalog_applier::token_revoked(const json& payload, const change_info& info) {
  auto id = payload.at("token_id").get<std::string>();
  auto hash = load(overlay_, keys::token_id(id));
  if (!hash)
    return hash.error();
  if (!*hash)
    return skip(ec::not_found, "revocation of unknown token " + id);
  auto key = keys::token(hash->value().get<std::string>());
  auto token = load(overlay_, key);
  if (!token)
    return token.error();
  if (!*token)
    return make_error(ec::corrupt_data, "catalog state: token " + id + " has no record");
  (**token)["revoked"] = true;
  (**token)["revoked_by"] = to_json(info);
  overlay_.put(key, (*token)->dump());
  return caf::none;
}

caf::error catalog_applier::count(int delta) {
  auto current = load(overlay_, keys::entity_count());
  if (!current)
    return current.error();
  int64_t n = *current ? (*current)->get<int64_t>() : 0;
  overlay_.put(keys::entity_count(), json(n + delta).dump());
  return caf::none;
}

void catalog_applier::record_change(const std::string& urn, const change_info& info,
                                    const char* event, const json& version,
                                    const json& fields, const json& state) {
  auto change = to_json(info);
  change["event"] = event;
  change["version"] = version;
  change["fields"] = fields;
  change["state"] = state;
  batch_.Put(keys::change(urn, info.offset), change.dump());
}

} // namespace almanac::catalog
