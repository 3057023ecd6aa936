#pragma once

// Events: the envelope that crosses actors and the registry of event types.
//
// In the log, a record's type is "<Name>@<version>", e.g. "EntityRegistered@1";
// its payload is a JSON object. A type this build does not know (another name,
// or a newer version of a known name) is kept in the log and skipped by
// projections, never fatal.

#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace almanac {

/// One event to append.
struct event_input {
  std::string type;    ///< Versioned type, e.g. "EntityRegistered@1".
  std::string key;     ///< The entity the event is about (may be empty).
  std::string payload; ///< JSON object.
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, event_input& x) {
  return f(caf::meta::type_name("almanac.event_input"), x.type, x.key,
           x.payload);
}

/// One event read back from the log.
struct event_record {
  uint64_t offset = 0;
  uint64_t epoch = 0;
  int64_t timestamp_ms = 0;
  std::string type;
  std::string key;
  std::string payload;
  uint64_t position = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, event_record& x) {
  return f(caf::meta::type_name("almanac.event_record"), x.offset, x.epoch,
           x.timestamp_ms, x.type, x.key, x.payload, x.position);
}

/// The acknowledgement of a durable append.
struct append_ack {
  uint64_t first_offset = 0; ///< Offset of the first appended event.
  uint64_t count = 0;        ///< Number of events appended.
  uint64_t end_offset = 0;   ///< first_offset + count.
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, append_ack& x) {
  return f(caf::meta::type_name("almanac.append_ack"), x.first_offset,
           x.count, x.end_offset);
}

/// A registered event type.
struct event_type_info {
  uint16_t id;             ///< Pinned numeric id (never reused).
  const char* name;        ///< Past-tense name, e.g. "EntityRegistered".
  uint32_t version;        ///< Current schema version of the payload.
  const char* description; ///< One line.
};

/// Every event type this build knows, by id.
const std::vector<event_type_info>& event_types();

/// Finds a type by name (any version); nullptr if unknown.
const event_type_info* find_event_type(const std::string& name);

/// The versioned log type of a registered name: "EntityRegistered@1".
/// Throws std::invalid_argument for an unknown name (a programming error).
std::string event_tag(const std::string& name);

/// Splits "Name@3" into its name and version (version 0 if malformed).
std::pair<std::string, uint32_t> parse_event_tag(const std::string& tag);

/// Whether this build understands a record of this type: the name is
/// registered and the version is not newer than the registered one.
bool is_known_event(const std::string& tag);

} // namespace almanac
