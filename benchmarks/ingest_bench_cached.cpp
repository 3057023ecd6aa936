// observe_query with an analysis_cache (see ingest_bench_cached.hpp). Keep in
// step with observe_query in actors/lineage/store/query_ingest.cpp.

#include "ingest_bench_cached.hpp"

#include "actors/lineage/store/lineage_keys.hpp"

#include <map>

namespace ingest_bench {

using nlohmann::json;
using namespace almanac::lineage;

almanac::event_input observe_query_cached(const json& entry, const std::string& origin,
                                          analysis_cache& cache) {
  auto source = entry.value("source", std::string{});
  auto sql = entry.value("sql", std::string{});
  auto a = cache.analyze(sql);
  std::map<std::string, std::string> urns; // qualified name -> URN
  auto urn = [&](const std::string& q) {
    auto i = urns.find(q);
    if (i != urns.end())
      return i->second;
    return urns[q] = table_urn(source, q, false);
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
  return {almanac::event_tag("QueryObserved"), "query:" + fp, p.dump()};
}

} // namespace ingest_bench
