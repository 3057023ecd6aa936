#include "messages/events.hpp"

#include <stdexcept>

namespace almanac {

const std::vector<event_type_info>& event_types() {
  // Ids are pinned: append new types at the end, never reuse an id.
  static const std::vector<event_type_info> types = {
    {1, "EntityRegistered", 1, "an entity (source, schema, table, ...) was registered"},
    {2, "EntityEdited", 1, "curated fields of an entity changed"},
    {3, "EntityRemoved", 1, "an entity was removed"},
    {4, "UserCreated", 1, "an admin created a user with a role"},
    {5, "TokenIssued", 1, "an API token was issued (hash only)"},
    {6, "TokenRevoked", 1, "an API token was revoked"},
    {7, "EntityViewed", 1, "a user read entities (batched usage)"},
    {8, "SearchPerformed", 1, "a user searched (batched usage)"},
    {9, "JobSubmitted", 1, "a job (extraction, profiling, ...) was queued"},
    {10, "JobProgressed", 1, "a job reported progress"},
    {11, "JobFinished", 1, "a job succeeded, failed or was cancelled"},
    {12, "ComposeExecuted", 1, "a user ran SQL on a source (Compose)"},
    {13, "ScheduleDefined", 1, "a cron schedule for a job was defined"},
    {14, "ScheduleRemoved", 1, "a schedule was removed"},
    {15, "QueryObserved", 1, "a query ran on a source (query log, upload, Compose), analyzed"},
    {16, "LineageObserved", 1, "an OpenLineage run event was received"},
    {17, "LexiconEdited", 1, "a steward set (or cleared) a lexicon abbreviation"},
    {18, "NodePromoted", 1, "a standby became the primary, starting a new epoch"},
  };
  return types;
}

const event_type_info* find_event_type(const std::string& name) {
  for (auto& t : event_types())
    if (name == t.name)
      return &t;
  return nullptr;
}

std::string event_tag(const std::string& name) {
  auto t = find_event_type(name);
  if (!t)
    throw std::invalid_argument("unregistered event type " + name);
  return name + "@" + std::to_string(t->version);
}

std::pair<std::string, uint32_t> parse_event_tag(const std::string& tag) {
  auto at = tag.rfind('@');
  if (at == std::string::npos || at + 1 >= tag.size())
    return {tag, 0};
  uint32_t version = 0;
  for (auto i = at + 1; i < tag.size(); ++i) {
    if (tag[i] < '0' || tag[i] > '9' || version > 100000)
      return {tag, 0};
    version = version * 10 + static_cast<uint32_t>(tag[i] - '0');
  }
  return {tag.substr(0, at), version};
}

bool is_known_event(const std::string& tag) {
  auto [name, version] = parse_event_tag(tag);
  auto t = find_event_type(name);
  return t && version >= 1 && version <= t->version;
}

} // namespace almanac
