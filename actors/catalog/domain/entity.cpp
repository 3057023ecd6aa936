#include "actors/catalog/domain/entity.hpp"

#include "messages/time.hpp"

#include <algorithm>

namespace almanac::catalog {

using json = nlohmann::json;

json to_json(const change_info& info) {
  return json{{"offset", info.offset},
              {"time", iso_time(info.timestamp_ms)},
              {"timestamp_ms", info.timestamp_ms},
              {"user", info.user}};
}

const std::vector<std::string>& curated_fields() {
  static const std::vector<std::string> fields = {
    "title", "description", "tags", "stewards", "terms", "deprecated", "endorsed",
  };
  return fields;
}

const std::vector<std::string>& entity_fields() {
  static const std::vector<std::string> fields = [] {
    std::vector<std::string> result = {"urn", "kind", "name", "parent"};
    for (auto& f : curated_fields())
      result.push_back(f);
    result.push_back("attributes");
    return result;
  }();
  return fields;
}

json blank_entity() {
  return json{{"urn", ""},
              {"kind", ""},
              {"name", ""},
              {"parent", nullptr},
              {"title", ""},
              {"description", ""},
              {"tags", json::array()},
              {"stewards", json::array()},
              {"terms", json::array()},
              {"deprecated", false},
              {"endorsed", false},
              {"attributes", json::object()},
              {"version", 0}};
}

json registered_entity(const ev::entity_registered& e, const change_info& info) {
  auto entity = blank_entity();
  entity["urn"] = e.urn;
  entity["kind"] = e.kind;
  entity["name"] = e.name;
  entity["parent"] = e.parent ? json(*e.parent) : json(nullptr);
  entity["title"] = e.title;
  entity["description"] = e.description;
  entity["tags"] = e.tags;
  entity["stewards"] = e.stewards;
  entity["terms"] = e.terms;
  entity["deprecated"] = e.deprecated;
  entity["endorsed"] = e.endorsed;
  entity["attributes"] = e.attributes;
  entity["version"] = e.version;
  entity["created"] = to_json(info);
  entity["updated"] = to_json(info);
  return entity;
}

void apply_edit(json& entity, const ev::entity_edited& e, const change_info& info) {
  auto& f = e.fields_set;
  auto set = [&](const char* key, const auto& value) {
    if (value)
      entity[key] = *value;
  };
  set("title", f.title);
  set("description", f.description);
  set("tags", f.tags);
  set("stewards", f.stewards);
  set("terms", f.terms);
  set("deprecated", f.deprecated);
  set("endorsed", f.endorsed);
  set("attributes", f.attributes);
  // Fields of a newer writer: identity fields never change through an edit.
  for (auto& [key, value] : f.extra.items())
    if (key != "urn" && key != "kind" && key != "name" && key != "parent")
      entity[key] = value;
  entity["version"] = e.version;
  entity["updated"] = to_json(info);
}

} // namespace almanac::catalog
