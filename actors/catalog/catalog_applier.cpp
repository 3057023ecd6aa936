#include "actors/catalog/catalog_applier.hpp"

#include "actors/catalog/domain/batch_overlay.hpp"
#include "actors/catalog/catalog_keys.hpp"
#include "actors/catalog/domain/entity.hpp"
#include "actors/catalog/domain/stored_json.hpp"
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

template <class T>
struct type_tag {
  using type = T;
};

} // namespace

catalog_applier::catalog_applier(batch_overlay& overlay, rocksdb::WriteBatch& batch)
  : overlay_(overlay), batch_(batch) {
  // nop
}

caf::error catalog_applier::apply(const event_record& record) {
  change_info info{record.offset, record.timestamp_ms, {}};
  // Decodes the payload as T, then hands it to `fn`; a payload that does
  // not follow its type's schema is skipped, naming the field.
  auto as = [&](auto tag, auto fn) -> caf::error {
    using T = typename decltype(tag)::type;
    auto e = ev::decode<T>(record.payload);
    if (!e)
      return skip(ec::invalid_argument, "malformed payload: " + message_of(e.error()));
    info.user = e->user;
    return (this->*fn)(*e, info);
  };
  if (ev::is<ev::entity_registered>(record.type))
    return as(type_tag<ev::entity_registered>{}, &catalog_applier::registered);
  if (ev::is<ev::entity_edited>(record.type))
    return as(type_tag<ev::entity_edited>{}, &catalog_applier::edited);
  if (ev::is<ev::entity_removed>(record.type))
    return as(type_tag<ev::entity_removed>{}, &catalog_applier::removed);
  if (ev::is<ev::user_created>(record.type))
    return as(type_tag<ev::user_created>{}, &catalog_applier::user_created);
  if (ev::is<ev::token_issued>(record.type))
    return as(type_tag<ev::token_issued>{}, &catalog_applier::token_issued);
  if (ev::is<ev::token_revoked>(record.type))
    return as(type_tag<ev::token_revoked>{}, &catalog_applier::token_revoked);
  return skip(ec::invalid_argument, "not a catalog event: " + record.type);
}

caf::error catalog_applier::registered(const ev::entity_registered& e,
                                       const change_info& info) {
  auto& urn = e.urn;
  auto current = load(overlay_, keys::entity(urn));
  if (!current)
    return current.error();
  if (*current)
    return skip(ec::conflict, urn + " is registered already");
  auto entity = registered_entity(e, info);
  overlay_.put(keys::entity(urn), entity.dump());
  if (e.parent) {
    batch_.Put(keys::child(*e.parent, urn), "");
    batch_.Put(keys::any_child(*e.parent, urn), "");
  }
  json fields = json::object();
  for (auto& field : entity_fields())
    fields[field] = entity[field];
  record_change(urn, info, "registered", entity["version"], fields, entity);
  return count(+1);
}

caf::error catalog_applier::edited(const ev::entity_edited& e, const change_info& info) {
  auto& urn = e.urn;
  auto current = load(overlay_, keys::entity(urn));
  if (!current)
    return current.error();
  if (!*current)
    return skip(ec::not_found, "edit of unknown entity " + urn);
  auto& entity = **current;
  apply_edit(entity, e, info);
  overlay_.put(keys::entity(urn), entity.dump());
  record_change(urn, info, "edited", entity["version"], ev::to_json(e.fields_set), entity);
  return caf::none;
}

caf::error catalog_applier::removed(const ev::entity_removed& e, const change_info& info) {
  auto& urn = e.urn;
  auto current = load(overlay_, keys::entity(urn));
  if (!current)
    return current.error();
  if (!*current)
    return skip(ec::not_found, "removal of unknown entity " + urn);
  auto& entity = **current;
  overlay_.erase(keys::entity(urn));
  if (auto& parent = entity["parent"]; parent.is_string())
    batch_.Delete(keys::child(parent.get<std::string>(), urn));
  record_change(urn, info, "removed", e.version, json::object(), nullptr);
  return count(-1);
}

caf::error catalog_applier::user_created(const ev::user_created& e,
                                         const change_info& info) {
  auto current = load(overlay_, keys::user(e.name));
  if (!current)
    return current.error();
  if (*current)
    return skip(ec::conflict, "user " + e.name + " exists already");
  json user{{"name", e.name}, {"role", e.role}, {"created", to_json(info)}};
  overlay_.put(keys::user(e.name), user.dump());
  return caf::none;
}

caf::error catalog_applier::token_issued(const ev::token_issued& e,
                                         const change_info& info) {
  if (e.token_sha256.empty())
    return skip(ec::invalid_argument, "malformed payload: TokenIssued without token_sha256");
  auto current = load(overlay_, keys::token_id(e.token_id));
  if (!current)
    return current.error();
  if (*current)
    return skip(ec::conflict, "token id " + e.token_id + " exists already");
  json token{{"id", e.token_id},
             {"owner", e.owner},
             {"role", e.role},
             {"revoked", false},
             {"issued", to_json(info)}};
  overlay_.put(keys::token(e.token_sha256), token.dump());
  overlay_.put(keys::token_id(e.token_id), json(e.token_sha256).dump());
  batch_.Put(keys::owned_token(e.owner, e.token_id), "");
  return caf::none;
}

caf::error catalog_applier::token_revoked(const ev::token_revoked& e,
                                          const change_info& info) {
  auto& id = e.token_id;
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
