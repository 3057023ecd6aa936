#pragma once

// Catalog commands: validate a request against the current state and turn it
// into events, or into an error that names the field and appends nothing.
//
// Error codes: ec::bad_request (400) for a body that is not an object, unknown
// fields, missing required fields and wrong JSON types; ec::invalid_argument
// (422) for values that break a rule (invalid identifier, control characters,
// invalid UTF-8, too long, a parent or term that does not exist, a URN that
// does not match kind/name/parent); ec::not_found (404) for an unknown
// entity; ec::conflict (409) for an entity that already exists, a version
// precondition (If-Match) that fails, or removing an entity with children.
//
// Event payloads (JSON objects; the record key is the entity URN):
//
// EntityRegistered@1
//   {"user": "bob",                     // who registered it
//    "urn": "urn:almanac:table:pagila.public.film",
//    "kind": "table", "name": "film",
//    "parent": "urn:almanac:schema:pagila.public",   // null at the top
//    "title": "", "description": "", "tags": [], "stewards": [], "terms": [],
//    "deprecated": false, "endorsed": false,
//    "attributes": {...},               // free-form, {} if none
//    "version": 1}
//   Every field is present (defaults filled in).
//
// EntityEdited@1
//   {"user": "alice", "urn": "...", "version": 4, "previous_version": 3,
//    "fields": {"description": "...", "tags": ["pii"]}}
//   "fields" holds only the fields whose value changed, with their new
//   values (lists replace the old list). Projections apply any field in
//   "fields" except urn/kind/name/parent, so later producers (extraction) may
//   also edit "attributes" this way.
//
// EntityRemoved@1
//   {"user": "alice", "urn": "...", "kind": "column",
//    "parent": "urn:almanac:table:...",  // null at the top
//    "version": 5,                       // the removed entity's last version + 1
//    "cascade_of": "urn:..."}            // only when removed with an ancestor
//   In a cascade, descendants come first (deepest first), the root last.

#include "actors/catalog/domain/state_view.hpp"
#include "messages/catalog_messages.hpp"
#include "messages/events.hpp"

#include <caf/expected.hpp>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace almanac::catalog {

/// Limits on curated fields (bytes, items).
namespace limits {
constexpr size_t urn_bytes = 2048;
constexpr size_t title_bytes = 512;
constexpr size_t description_bytes = 65536;
constexpr size_t tag_bytes = 64;
constexpr size_t list_items = 100;
} // namespace limits

/// The outcome of a valid command: its events and its reply
/// (messages/catalog_messages.hpp).
template <class Reply>
struct command_result {
  /// The events to append, in order; empty if the command changes nothing.
  std::vector<event_input> events;
  /// The reply, without the log offset (the caller sets `offset` once the
  /// events are durable).
  Reply reply;
};

/// Sources (URNs urn:almanac:source:<name>) and every entity's
/// "attributes.connection" belong to the sources API (admin): it alone
/// configures how Almanac connects to a database and which secret it sends.
/// The generic commands below (the entity API, extraction, lineage) refuse
/// with ec::forbidden to register or remove a source, to replace a source's
/// attributes, or to set or change an "attributes.connection"; the
/// *_source commands are what the sources API uses instead.

/// Validates `POST /api/v1/entities`. `body` has "urn" and "kind"
/// (required), "name" and "parent" (must match the URN; the parent defaults
/// to the first existing candidate and must exist unless the kind has no
/// parent), any curated field and "attributes" (an object). Reply:
/// {"urn", "version": 1}.
caf::expected<command_result<register_reply>> register_entity(const nlohmann::json& body,
                                              const std::string& user,
                                              const state_view& state);

/// The column attribute by which an admin lets profiles keep raw values of
/// a column that looks like personal data (the caller checks the role).
constexpr const char* raw_values_field = "profile_raw_values";

/// Validates `PATCH /api/v1/entities/{urn}` with any curated field, and for
/// a column `profile_raw_values` (a boolean, edited into its attributes;
/// admins only, which the caller checks). With `if_match`, the entity must
/// have that version. Reply: {"urn", "version", "changed"}; a PATCH that
/// changes nothing yields no event and "changed": false with the current
/// version.
caf::expected<command_result<edit_reply>> edit_entity(const std::string& urn,
                                          const nlohmann::json& body,
                                          std::optional<uint64_t> if_match,
                                          const std::string& user,
                                          const state_view& state);

/// Validates removing an entity. An entity with children is a conflict
/// unless `cascade`, which removes its descendants first. Reply: {"urn",
/// "removed": number of entities removed}.
caf::expected<command_result<remove_reply>> remove_entity(const std::string& urn,
                                            std::optional<uint64_t> if_match,
                                            bool cascade,
                                            const std::string& user,
                                            const state_view& state);

/// Validates replacing the attributes of an entity that is not a source
/// (extraction, profiling, lineage runs); "connection" must stay as it is.
/// Reply: {"urn", "version", "changed"}; no event if nothing changes.
caf::expected<command_result<edit_reply>> replace_attributes(const std::string& urn,
                                                 const nlohmann::json& attributes,
                                                 const std::string& user,
                                                 const state_view& state);

/// Validates registering a source for the sources API (or a lineage
/// placeholder): like register_entity, but the kind must be "source" and
/// "attributes" may hold its "connection".
caf::expected<command_result<register_reply>> register_source(const nlohmann::json& body,
                                              const std::string& user,
                                              const state_view& state);

/// Validates replacing a source's attributes (its connection) for the
/// sources API. Reply as replace_attributes.
caf::expected<command_result<edit_reply>> replace_source_attributes(const std::string& urn,
                                                        const nlohmann::json& attributes,
                                                        const std::string& user,
                                                        const state_view& state);

/// Validates removing a source and everything below it for the sources API.
/// Reply as remove_entity.
caf::expected<command_result<remove_reply>> remove_source(const std::string& urn,
                                            const std::string& user,
                                            const state_view& state);

} // namespace almanac::catalog
