// Lineage of a view from its definition.

#include "actors/lineage/sql/view_lineage.hpp"

#include <algorithm>
#include <set>

namespace almanac::lineage {

analysis analyze_view(const std::string& view, const std::string& definition,
                      const schema_provider* schemas, const std::string& default_schema) {
  auto a = analyze(definition, schemas, default_schema);
  if (a.parse_error || a.kind != statement_kind::select || a.statements.size() != 1)
    return a;
  a.kind = statement_kind::create_view;
  a.tables_written = {view};
  std::set<column_ref> written;
  for (auto& o : a.outputs) {
    written.insert({view, o.name});
    if (!o.sources.empty())
      a.column_lineage.push_back({{view, o.name}, o.sources});
  }
  a.columns_written.assign(written.begin(), written.end());
  std::sort(a.column_lineage.begin(), a.column_lineage.end(),
            [](auto& x, auto& y) { return x.target < y.target; });
  for (auto& t : a.tables_read)
    if (t != view)
      a.table_lineage.push_back({t, view});
  auto& s = a.statements.front();
  s.kind = a.kind;
  s.tables_written = a.tables_written;
  s.columns_written = a.columns_written;
  s.column_lineage = a.column_lineage;
  s.table_lineage = a.table_lineage;
  return a;
}

} // namespace almanac::lineage
