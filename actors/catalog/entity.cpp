#include "actors/catalog/entity.hpp"

#include "actors/catalog/iso_time.hpp"

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

json registered_entity(const json& payload, const change_info& info) {
  auto entity = blank_entity();
  for (auto& field : entity_fields()) {
    auto i = payload.find(field);
    if (i != payload.end())
      entity[field] = *i;
  }
  entity["version"] = payload.value("version", uint64_t{1});
  entity["created"] = to_json(info);
  entity["updated"] = to_json(info);
  return entity;
}

void apply_edit(json& entity, const json& payload, const change_info& info) {
  auto fields = payload.find("fields");
  if (fields != payload.end() && fields->is_object())
    for (auto& [key, value] : fields->items())
      // Identity fields never change through an edit.
      if (key != "urn" && key != "kind" && key != "name" && key != "parent")
        entity[key] = value;
  auto version = entity.value("version", uint64_t{0}) + 1;
  entity["version"] = payload.value("version", version);
  entity["updated"] = to_json(info);
}

} // namespace almanac::catalog
