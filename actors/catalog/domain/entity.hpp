#pragma once

// The catalog entity, as a JSON object, and how events change it. Shared by
// the command validators (commands.hpp) and the state projection, so both
// agree on what an event does.
//
// An entity:
//
//   {
//     "urn": "urn:almanac:column:pagila.public.film.title",
//     "kind": "column",             // see entity_kind
//     "name": "title",              // the last name of the URN path
//     "parent": "urn:almanac:table:pagila.public.film",  // null at the top
//     "title": "",                  // display title ("" if none)
//     "description": "",            // Markdown
//     "tags": ["pii"],              // tag names
//     "stewards": ["alice"],        // user names
//     "terms": ["urn:almanac:term:Film"],  // glossary term URNs
//     "deprecated": false,
//     "endorsed": false,
//     "attributes": {"data_type": "text", "nullable": false, "ordinal": 2},
//                                   // free-form (materialized, definition, ...)
//     "version": 3,                 // 1 on registration, +1 per edit
//     "created": {"offset": 10, "time": "2024-...Z", "timestamp_ms": ..., "user": "bob"},
//     "updated": {"offset": 42, "time": "...", "timestamp_ms": ..., "user": "alice"}
//   }
//
// The projection adds "children" (URNs) when it answers a read.

#include "messages/event_types.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace almanac::catalog {

/// Where, when and by whom a change was made (from the log record).
struct change_info {
  uint64_t offset = 0;
  int64_t timestamp_ms = 0;
  std::string user;
};

/// Renders `info` as {"offset", "time" (ISO-8601 UTC), "timestamp_ms", "user"}.
nlohmann::json to_json(const change_info& info);

/// The fields a PATCH may change, in display order.
const std::vector<std::string>& curated_fields();

/// The fields an EntityRegistered payload describes (besides "user" and
/// "version"): urn, kind, name, parent, the curated fields and attributes.
const std::vector<std::string>& entity_fields();

/// An entity with every field at its default (empty texts and lists, false
/// flags, empty attributes, version 0).
nlohmann::json blank_entity();

/// Builds the entity an EntityRegistered event describes.
nlohmann::json registered_entity(const ev::entity_registered& e, const change_info& info);

/// Applies the fields an EntityEdited event sets to `entity` (lists and
/// attributes are replaced as a whole) and sets its version from the event.
void apply_edit(nlohmann::json& entity, const ev::entity_edited& e,
                const change_info& info);

} // namespace almanac::catalog
