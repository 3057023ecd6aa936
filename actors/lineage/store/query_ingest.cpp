#include "actors/lineage/store/query_ingest.hpp"

#include "actors/catalog/iso_time.hpp"
#include "actors/lineage/sql/sql_analysis.hpp"
#include "actors/lineage/store/lineage_keys.hpp"
#include "messages/error.hpp"

#include <algorithm>
#include <set>
#include <sstream>

namespace almanac::lineage {

using nlohmann::json;

namespace {

// Columns of catalog tables, in ordinal order, for `*` expansion.
class catalog_columns : public schema_provider {
public:
  catalog_columns(const catalog::catalog_projection* cat, std::string source)
    : cat_(cat), source_(std::move(source)) {
  }

  std::optional<std::vector<std::string>>
  columns(const std::string& qualified) const override {
    if (!cat_)
      return std::nullopt;
    for (bool view : {false, true}) {
      auto urn = table_urn(source_, qualified, view);
      auto kids = cat_->children(urn);
      if (!kids || kids->empty())
        continue;
      std::vector<std::pair<int, std::string>> cols;
      for (auto& k : *kids)
        if (auto e = cat_->entity(k); e && *e)
          cols.emplace_back((**e).value("attributes", json::object()).value("ordinal", 0),
                            (**e).value("name", ""));
      std::sort(cols.begin(), cols.end());
      std::vector<std::string> out;
      for (auto& c : cols)
        out.push_back(c.second);
      return out;
    }
    return std::nullopt;
  }

private:
  const catalog::catalog_projection* cat_;
  std::string source_;
};

} // namespace

event_input observe_query(const json& entry, const std::string& origin,
                          const catalog::catalog_projection* cat) {
  auto source = entry.value("source", std::string{});
  auto sql = entry.value("sql", std::string{});
  catalog_columns cols{cat, source};
  auto a = analyze(sql, &cols, "public");
  auto is_view = [&](const std::string& qualified) {
    if (!cat)
      return false;
    auto e = cat->entity(table_urn(source, qualified, true));
    return e && *e;
  };
  std::map<std::string, std::string> urns; // qualified name -> URN
  auto urn = [&](const std::string& q) {
    auto i = urns.find(q);
    if (i != urns.end())
      return i->second;
    return urns[q] = table_urn(source, q, is_view(q));
  };
  auto col = [&](const column_ref& c) { return column_urn(urn(c.table), c.column); };
  json p{{"origin", origin},
         {"source", source},
         {"database", entry.value("database", "")},
         {"user", entry.value("user", "")},
         {"sql", sql},
         {"start_time", entry.value("start_time", "")},
         {"start_ms", entry.value("start_ms", int64_t{0})},
         {"duration_ms", entry.value("duration_ms", 0.0)},
         {"calls", entry.value("calls", uint64_t{1})},
         {"kind", std::string{to_string(a.kind)}},
         {"normalized", a.normalized},
         {"parse_error", a.parse_error ? json(*a.parse_error) : json(nullptr)}};
  p["execution_id"] = execution_id(p);
  auto fp = a.fingerprint;
  if (fp.empty())
    fp = "err-" + execution_id(json{{"sql", sql}});
  p["fingerprint"] = fp;
  auto arr = [](auto&& range, auto fn) {
    auto out = json::array();
    for (auto& x : range)
      out.push_back(fn(x));
    return out;
  };
  p["tables_read"] = arr(a.tables_read, urn);
  p["tables_written"] = arr(a.tables_written, urn);
  auto read = json::array();
  for (auto& [t, cs] : a.columns_read)
    for (auto& c : cs)
      read.push_back(column_urn(urn(t), c));
  p["columns_read"] = read;
  p["columns_written"] = arr(a.columns_written, col);
  p["filters"] = arr(a.filter_columns, col);
  p["joins"] = arr(a.joins, [&](const join_pair& j) {
    auto cs = json::array();
    for (auto& [l, r] : j.columns)
      cs.push_back({l, r});
    return json{{"left", urn(j.left)}, {"right", urn(j.right)}, {"columns", cs}};
  });
  p["table_lineage"] = arr(a.table_lineage, [&](const table_edge& e) {
    return json{{"from", urn(e.from)}, {"to", urn(e.to)}};
  });
  p["column_lineage"] = arr(a.column_lineage, [&](const column_edge& e) {
    return json{{"target", col(e.target)}, {"sources", arr(e.sources, col)}};
  });
  return {event_tag("QueryObserved"), "query:" + fp, p.dump()};
}

caf::expected<std::vector<json>> parse_query_lines(const std::string& body,
                                                   const std::string& default_source) {
  static const std::set<std::string> known{"sql", "user", "database", "source",
                                           "start_time", "duration_ms", "calls"};
  std::vector<json> out;
  std::stringstream ss{body};
  std::string line;
  size_t n = 0;
  while (std::getline(ss, line)) {
    ++n;
    if (line.find_first_not_of(" \t\r") == std::string::npos)
      continue;
    auto where = "line " + std::to_string(n) + ": ";
    auto j = json::parse(line, nullptr, false);
    if (!j.is_object())
      return make_error(ec::bad_request, where + "not a JSON object");
    for (auto& [k, v] : j.items())
      if (!known.count(k))
        return make_error(ec::bad_request, where + "unknown field '" + k + "'");
    if (!j.contains("sql") || !j["sql"].is_string() || j["sql"].get<std::string>().empty())
      return make_error(ec::bad_request, where + "missing required string field 'sql'");
    for (auto key : {"user", "database", "source", "start_time"})
      if (j.contains(key) && !j[key].is_string())
        return make_error(ec::bad_request, where + "field '" + key + "' must be a string");
    if (j.contains("duration_ms") && !j["duration_ms"].is_number())
      return make_error(ec::bad_request, where + "field 'duration_ms' must be a number");
    if (j.contains("calls") && !j["calls"].is_number_unsigned())
      return make_error(ec::bad_request, where + "field 'calls' must be a positive integer");
    if (!j.contains("source")) {
      if (default_source.empty())
        return make_error(ec::bad_request, where + "missing required field 'source'");
      j["source"] = default_source;
    }
    if (j.contains("start_time")) {
      auto ms = catalog::parse_iso_time(j["start_time"].get<std::string>());
      if (!ms)
        return make_error(ec::bad_request, where + "start_time must be ISO-8601, not '"
                                             + j["start_time"].get<std::string>() + "'");
      j["start_ms"] = *ms;
    }
    out.push_back(std::move(j));
  }
  if (out.empty())
    return make_error(ec::bad_request, "the body holds no query (one JSON object per line)");
  return out;
}

} // namespace almanac::lineage
