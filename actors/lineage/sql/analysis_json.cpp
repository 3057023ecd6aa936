// JSON form of an analysis.

#include "actors/lineage/sql/analysis_json.hpp"

namespace almanac::lineage {

namespace {

nlohmann::json columns(const std::vector<column_ref>& refs) {
  auto out = nlohmann::json::array();
  for (auto& c : refs)
    out.push_back({{"table", c.table}, {"column", c.column}});
  return out;
}

} // namespace

nlohmann::json to_json(const statement_analysis& a) {
  nlohmann::json out = {{"kind", std::string(to_string(a.kind))},
                        {"fingerprint", a.fingerprint},
                        {"normalized", a.normalized},
                        {"tables_read", a.tables_read},
                        {"tables_written", a.tables_written},
                        {"columns_read", a.columns_read},
                        {"columns_written", columns(a.columns_written)},
                        {"filter_columns", columns(a.filter_columns)},
                        {"unresolved_columns", a.unresolved_columns}};
  if (a.parse_error) {
    out["parse_error"] = *a.parse_error;
    out["error_position"] = a.error_position;
  }
  auto& joins = out["joins"] = nlohmann::json::array();
  for (auto& j : a.joins)
    joins.push_back({{"left", j.left}, {"right", j.right}, {"columns", j.columns}});
  auto& outputs = out["outputs"] = nlohmann::json::array();
  for (auto& o : a.outputs)
    outputs.push_back({{"name", o.name}, {"named", o.named}, {"sources", columns(o.sources)}});
  auto& edges = out["column_lineage"] = nlohmann::json::array();
  for (auto& e : a.column_lineage)
    edges.push_back({{"target", {{"table", e.target.table}, {"column", e.target.column}}},
                     {"sources", columns(e.sources)}});
  auto& tables = out["table_lineage"] = nlohmann::json::array();
  for (auto& e : a.table_lineage)
    tables.push_back({{"from", e.from}, {"to", e.to}});
  return out;
}

nlohmann::json to_json(const analysis& a) {
  auto out = to_json(static_cast<const statement_analysis&>(a));
  if (a.statements.size() > 1) {
    auto& list = out["statements"] = nlohmann::json::array();
    for (auto& s : a.statements)
      list.push_back(to_json(s));
  }
  return out;
}

} // namespace almanac::lineage
