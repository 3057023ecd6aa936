#include "actors/lineage/domain/openlineage.hpp"

#include "messages/time.hpp"
#include "actors/lineage/domain/lineage_keys.hpp"
#include "messages/error.hpp"

#include <algorithm>
#include <regex>
#include <set>

namespace almanac::lineage {

using nlohmann::json;

caf::error validate_openlineage(const json& e) {
  auto bad = [](const std::string& field, const std::string& why) {
    return make_error(ec::bad_request, "field '" + field + "' " + why);
  };
  if (!e.is_object())
    return make_error(ec::bad_request, "an OpenLineage run event must be a JSON object");
  if (!e.contains("eventTime") || !e["eventTime"].is_string())
    return bad("eventTime", "is required (an ISO-8601 date-time)");
  if (!parse_iso_time(e["eventTime"].get<std::string>()))
    return bad("eventTime", "is not an ISO-8601 date-time");
  if (!e.contains("producer") || !e["producer"].is_string() || e["producer"].get<std::string>().empty())
    return bad("producer", "is required (a URI)");
  if (!e.contains("run") || !e["run"].is_object())
    return bad("run", "is required (an object with runId)");
  if (!e["run"].contains("runId") || !e["run"]["runId"].is_string())
    return bad("run.runId", "is required (a UUID)");
  static const std::regex uuid{
    "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"};
  if (!std::regex_match(e["run"]["runId"].get<std::string>(), uuid))
    return bad("run.runId", "must be a UUID, not '" + e["run"]["runId"].get<std::string>() + "'");
  if (!e.contains("job") || !e["job"].is_object())
    return bad("job", "is required (an object with namespace and name)");
  for (auto f : {"namespace", "name"})
    if (!e["job"].contains(f) || !e["job"][f].is_string() || e["job"][f].get<std::string>().empty())
      return bad(std::string{"job."} + f, "is required (a string)");
  if (e.contains("eventType")) {
    static const std::set<std::string> types{"START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER"};
    if (!e["eventType"].is_string() || !types.count(e["eventType"].get<std::string>()))
      return bad("eventType", "must be START, RUNNING, COMPLETE, ABORT, FAIL or OTHER");
  }
  for (auto list : {"inputs", "outputs"}) {
    if (!e.contains(list))
      continue;
    if (!e[list].is_array())
      return bad(list, "must be an array of datasets");
    for (size_t i = 0; i < e[list].size(); ++i) {
      auto& d = e[list][i];
      for (auto f : {"namespace", "name"})
        if (!d.is_object() || !d.contains(f) || !d[f].is_string())
          return bad(std::string{list} + "[" + std::to_string(i) + "]." + f, "is required (a string)");
    }
  }
  return caf::none;
}

openlineage_lineage read_openlineage(const json& p) {
  openlineage_lineage result;
  for (auto& d : p.value("inputs", json::array()))
    result.inputs.push_back(dataset_urn(d));
  for (auto& d : p.value("outputs", json::array())) {
    auto o = dataset_urn(d);
    result.outputs.push_back(o);
    auto facets = d.value("facets", json::object());
    auto cl = facets.is_object() ? facets.value("columnLineage", json::object()) : json::object();
    auto fields = cl.is_object() ? cl.value("fields", json::object()) : json::object();
    if (!fields.is_object())
      continue;
    for (auto& [field, spec] : fields.items()) {
      if (!spec.is_object() || !spec.contains("inputFields") || !spec["inputFields"].is_array())
        continue;
      auto to = column_urn(o, field);
      // Facets are free-form for validation: an input field that does not
      // name a dataset and a column is skipped, not the whole event.
      for (auto& in : spec["inputFields"]) {
        if (!in.is_object())
          continue;
        auto text = [&](const char* key) {
          auto i = in.find(key);
          return i != in.end() && i->is_string() ? i->get<std::string>() : std::string{};
        };
        auto from = column_urn(dataset_urn({{"namespace", text("namespace")},
                                            {"name", text("name")}}),
                               text("field"));
        if (!from.empty() && !to.empty())
          result.column_edges.emplace_back(std::move(from), to);
      }
    }
  }
  return result;
}

json merge_run(json merged, const json& p, int64_t ms) {
  // at() and value(), never operator[] on the const event: a missing key
  // throws (or defaults) instead of reading past the end of the object.
  auto& run = p.at("run");
  if (merged.is_null())
    merged = json{{"runId", run.value("runId", "")}, {"job", p.value("job", json(nullptr))},
                  {"events", 0},
                  {"first_event_ms", ms}, {"last_event_ms", ms},
                  {"state", p.value("eventType", "OTHER")},
                  {"inputs", json::array()}, {"outputs", json::array()},
                  {"facets", json::object()}};
  merged["events"] = merged["events"].get<uint64_t>() + 1;
  if (ms >= merged["last_event_ms"].get<int64_t>()) {
    merged["last_event_ms"] = ms;
    merged["state"] = p.value("eventType", merged["state"].get<std::string>());
    if (run.contains("facets") && run.at("facets").is_object())
      for (auto& [k, v] : run.at("facets").items())
        merged["facets"][k] = v;
  }
  merged["first_event_ms"] = std::min(merged["first_event_ms"].get<int64_t>(), ms);
  for (auto list : {"inputs", "outputs"})
    for (auto& d : p.value(list, json::array())) {
      json ds{{"namespace", d.value("namespace", "")}, {"name", d.value("name", "")},
              {"urn", dataset_urn(d)}};
      auto& arr = merged[list];
      if (std::find(arr.begin(), arr.end(), ds) == arr.end())
        arr.push_back(ds);
    }
  return merged;
}

} // namespace almanac::lineage
