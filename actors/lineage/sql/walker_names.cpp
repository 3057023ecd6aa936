// Names: qualified table names, relations from RangeVars, aliases.

#include "actors/lineage/sql/walker.hpp"

#include <stdexcept>

namespace almanac::lineage::detail {

namespace {

/// Deepest nesting the walk follows; PostgreSQL's own stack limit stops
/// parsing far earlier, so this only guards against surprises.
constexpr int max_depth = 10000;

} // namespace

void effects::merge(const effects& other) {
  if (&other == this)
    return;
  tables_read.insert(other.tables_read.begin(), other.tables_read.end());
  columns_read.insert(other.columns_read.begin(), other.columns_read.end());
  filters.insert(other.filters.begin(), other.filters.end());
  joins.insert(other.joins.begin(), other.joins.end());
  unresolved.insert(other.unresolved.begin(), other.unresolved.end());
}

walker::walker(const schema_provider* schemas, std::string default_schema)
  : schemas_(schemas), default_schema_(std::move(default_schema)) {}

void walker::enter() {
  if (++depth_ > max_depth)
    throw std::runtime_error("statement nested too deeply");
}

const json& child(const json& j, const char* key) {
  static const json empty = json::object();
  if (!j.is_object())
    return empty;
  auto i = j.find(key);
  return i == j.end() ? empty : *i;
}

std::vector<std::string> strings(const json& list) {
  std::vector<std::string> out;
  if (!list.is_array())
    return out;
  for (auto& item : list)
    if (item.is_object() && item.contains("String"))
      out.push_back(item["String"].value("sval", ""));
  return out;
}

std::vector<std::string> walker::range_var_parts(const json& rv) const {
  std::vector<std::string> parts;
  if (rv.contains("catalogname"))
    parts.push_back(rv["catalogname"].get<std::string>());
  if (rv.contains("schemaname"))
    parts.push_back(rv["schemaname"].get<std::string>());
  parts.push_back(rv.value("relname", ""));
  return parts;
}

std::string walker::qualify(const std::vector<std::string>& parts) const {
  std::string out;
  if (parts.size() == 1 && !default_schema_.empty())
    out = default_schema_ + ".";
  for (size_t i = 0; i < parts.size(); ++i)
    out += (i ? "." : "") + parts[i];
  return out;
}

relation walker::base_relation(const json& rv, const std::vector<std::string>& parts) const {
  relation r;
  r.parts = parts;
  r.name = parts.back();
  r.table = qualify(parts);
  if (schemas_)
    r.columns = schemas_->columns(r.table);
  if (rv.contains("alias"))
    apply_alias(r, rv["alias"]);
  return r;
}

relation walker::target_relation(const json& rv) const {
  return base_relation(rv, range_var_parts(rv));
}

void walker::apply_alias(relation& r, const json& alias) {
  if (alias.contains("aliasname"))
    r.name = alias["aliasname"].get<std::string>();
  auto names = strings(child(alias, "colnames"));
  if (names.empty())
    return;
  // Renamed columns: the relation becomes a derived one whose i-th column
  // carries the i-th new name.
  auto renamed = std::make_shared<shape>();
  if (r.derived) {
    *renamed = *r.derived;
  } else if (r.columns) {
    for (auto& c : *r.columns)
      renamed->cols.push_back({c, true, {{r.table, c}}});
  } else if (!r.table.empty()) {
    // Columns unknown: the new names are all that is known; tie each to the
    // table without a column (no lineage through them).
    for (auto& n : names)
      renamed->cols.push_back({n, true, {}});
  }
  for (size_t i = 0; i < names.size() && i < renamed->cols.size(); ++i)
    renamed->cols[i].name = names[i];
  r.derived = std::move(renamed);
  r.columns.reset();
}

std::string figure_name(const json& e) {
  if (!e.is_object() || e.empty())
    return "?column?";
  auto it = e.begin();
  const std::string& key = it.key();
  const json& v = it.value();
  if (key == "ColumnRef") {
    auto names = strings(child(v, "fields"));
    return names.empty() ? "?column?" : names.back();
  }
  if (key == "FuncCall") {
    auto names = strings(child(v, "funcname"));
    return names.empty() ? "?column?" : names.back();
  }
  if (key == "TypeCast")
    return figure_name(child(v, "arg"));
  if (key == "CaseExpr")
    return "case";
  if (key == "CoalesceExpr")
    return "coalesce";
  if (key == "A_ArrayExpr")
    return "array";
  return "?column?";
}

} // namespace almanac::lineage::detail
