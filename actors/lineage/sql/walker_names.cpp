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
  else if (rv.value("relpersistence", "") == "t")
    parts.push_back("pg_temp"); // CREATE TEMP TABLE t: where PostgreSQL puts it
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

namespace {

// PostgreSQL's FigureColnameInternal (parser/parse_target.c): a name and
// its strength: 2 a real name, 1 a fallback (a type's or "case"), 0 none.
std::pair<std::string, int> figure(const json& e) {
  if (!e.is_object() || e.empty())
    return {"?column?", 0};
  auto it = e.begin();
  const std::string& key = it.key();
  const json& v = it.value();
  if (key == "ColumnRef") {
    auto& fields = child(v, "fields");
    if (fields.is_array() && !fields.empty() && fields.back().contains("String"))
      return {fields.back()["String"].value("sval", ""), 2};
    return {"?column?", 0};
  }
  if (key == "A_Indirection") {
    // (widget).asset.id is named id; (arr)[1] is named as arr is.
    auto& ind = child(v, "indirection");
    if (ind.is_array())
      for (auto i = ind.rbegin(); i != ind.rend(); ++i)
        if (i->contains("String"))
          return {(*i)["String"].value("sval", ""), 2};
    return figure(child(v, "arg"));
  }
  if (key == "FuncCall") {
    auto names = strings(child(v, "funcname"));
    return names.empty() ? std::pair<std::string, int>{"?column?", 0}
                         : std::pair<std::string, int>{names.back(), 2};
  }
  if (key == "A_Expr" && v.value("kind", "") == "AEXPR_NULLIF")
    return {"nullif", 2};
  if (key == "TypeCast") {
    auto inner = figure(child(v, "arg"));
    if (inner.second > 1)
      return inner;
    auto names = strings(child(child(v, "typeName"), "names"));
    return names.empty() ? inner : std::pair<std::string, int>{names.back(), 1};
  }
  if (key == "CollateClause")
    return figure(child(v, "arg"));
  if (key == "GroupingFunc")
    return {"grouping", 2};
  if (key == "SubLink") {
    auto type = v.value("subLinkType", "");
    if (type == "EXISTS_SUBLINK")
      return {"exists", 2};
    if (type == "ARRAY_SUBLINK")
      return {"array", 2};
    if (type == "EXPR_SUBLINK" || type == "MULTIEXPR_SUBLINK") {
      // Named as the subquery's single output.
      auto& targets = child(child(child(v, "subselect"), "SelectStmt"), "targetList");
      if (targets.is_array() && targets.size() == 1) {
        auto& rt = child(targets[0], "ResTarget");
        if (rt.contains("name"))
          return {rt["name"].get<std::string>(), 2};
        return figure(child(rt, "val"));
      }
    }
    return {"?column?", 0};
  }
  if (key == "CaseExpr") {
    auto inner = figure(child(v, "defresult"));
    return inner.second > 1 ? inner : std::pair<std::string, int>{"case", 1};
  }
  if (key == "A_ArrayExpr")
    return {"array", 2};
  if (key == "RowExpr")
    return {"row", 2};
  if (key == "CoalesceExpr")
    return {"coalesce", 2};
  if (key == "MinMaxExpr")
    return {v.value("op", "") == "IS_LEAST" ? "least" : "greatest", 2};
  if (key == "SQLValueFunction") {
    static const std::pair<const char*, const char*> ops[] = {
      {"SVFOP_CURRENT_DATE", "current_date"}, {"SVFOP_CURRENT_TIME", "current_time"},
      {"SVFOP_CURRENT_TIME_N", "current_time"},
      {"SVFOP_CURRENT_TIMESTAMP", "current_timestamp"},
      {"SVFOP_CURRENT_TIMESTAMP_N", "current_timestamp"}, {"SVFOP_LOCALTIME", "localtime"},
      {"SVFOP_LOCALTIME_N", "localtime"}, {"SVFOP_LOCALTIMESTAMP", "localtimestamp"},
      {"SVFOP_LOCALTIMESTAMP_N", "localtimestamp"}, {"SVFOP_CURRENT_ROLE", "current_role"},
      {"SVFOP_CURRENT_USER", "current_user"}, {"SVFOP_USER", "user"},
      {"SVFOP_SESSION_USER", "session_user"}, {"SVFOP_CURRENT_CATALOG", "current_catalog"},
      {"SVFOP_CURRENT_SCHEMA", "current_schema"}};
    auto op = v.value("op", "");
    for (auto& [k, name] : ops)
      if (op == k)
        return {name, 2};
  }
  return {"?column?", 0};
}

} // namespace

std::string figure_name(const json& e) {
  return figure(e).first;
}

} // namespace almanac::lineage::detail
