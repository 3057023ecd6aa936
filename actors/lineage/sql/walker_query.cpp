// Queries: SELECT (with set operations and VALUES), WITH, FROM items.

#include "actors/lineage/sql/walker.hpp"

namespace almanac::lineage::detail {

namespace {

/// Whether `e` (an ORDER BY / GROUP BY item) names an output alias rather
/// than a column: a single-name reference equal to an alias of the list.
bool names_output(const json& e, const std::vector<out_col>& cols) {
  if (!e.is_object() || !e.contains("ColumnRef"))
    return false;
  auto names = strings(child(e["ColumnRef"], "fields"));
  if (names.size() != 1)
    return false;
  for (auto& c : cols)
    if (c.named && c.name == names[0] && !(c.sources.size() == 1
                                          && c.sources.begin()->column == c.name))
      return true;
  return false;
}

void merge_positional(shape& into, const shape& other) {
  for (size_t i = 0; i < into.cols.size() && i < other.cols.size(); ++i)
    into.cols[i].sources.insert(other.cols[i].sources.begin(), other.cols[i].sources.end());
  into.opaque.insert(into.opaque.end(), other.opaque.begin(), other.opaque.end());
}

} // namespace

shape walker::query(const json& node, const scope* outer, const cte_env& env, effects& eff) {
  if (node.is_object() && node.contains("SelectStmt"))
    return select(node["SelectStmt"], outer, env, eff);
  return {};
}

shape walker::select(const json& s, const scope* outer, cte_env env, effects& eff) {
  enter();
  if (s.contains("withClause"))
    env = with_clause(s["withClause"], outer, std::move(env), eff);
  shape out;
  if (s.value("op", "SETOP_NONE") != "SETOP_NONE") {
    // Set operations: the left branch names the columns; every branch feeds
    // each column by position.
    out = select(child(s, "larg"), outer, env, eff);
    auto right = select(child(s, "rarg"), outer, env, eff);
    // Each branch one opaque relation (or itself a set of branches): the
    // opaque relations are alternatives. A branch joining two is not.
    auto alternatives = [](const shape& b) { return b.opaque.size() <= 1 || b.opaque_branches; };
    bool branches = alternatives(out) && alternatives(right);
    merge_positional(out, right);
    out.opaque_branches = branches && !out.opaque.empty();
    leave();
    return out;
  }
  scope sc;
  sc.parent = outer;
  if (s.contains("valuesLists")) {
    for (auto& row : s["valuesLists"]) {
      auto items = row.contains("List") ? child(row["List"], "items") : row;
      for (size_t i = 0; i < items.size(); ++i) {
        if (out.cols.size() <= i)
          out.cols.push_back({"column" + std::to_string(i + 1), false, {}});
        auto src = expr(items[i], sc, env, eff, context::plain);
        out.cols[i].sources.insert(src.begin(), src.end());
      }
    }
    leave();
    return out;
  }
  for (auto& item : child(s, "fromClause"))
    from_item(item, sc, outer, env, eff);
  if (s.contains("whereClause"))
    expr(s["whereClause"], sc, env, eff, context::filter);
  out.cols = targets(child(s, "targetList"), sc, env, eff, out.opaque);
  if (s.contains("havingClause"))
    expr(s["havingClause"], sc, env, eff, context::filter);
  for (auto& g : child(s, "groupClause"))
    if (!names_output(g, out.cols))
      expr(g, sc, env, eff, context::plain);
  for (auto& o : child(s, "sortClause")) {
    auto node = o.contains("SortBy") ? child(o["SortBy"], "node") : o;
    if (!names_output(node, out.cols))
      expr(node, sc, env, eff, context::plain);
  }
  for (auto key : {"distinctClause", "windowClause", "limitCount", "limitOffset"})
    if (s.contains(key))
      expr(s[key], sc, env, eff, context::plain);
  leave();
  return out;
}

std::vector<out_col> walker::targets(const json& list, const scope& sc, const cte_env& env,
                                     effects& eff, std::vector<relation>& opaque) {
  std::vector<out_col> cols;
  for (auto& item : list) {
    if (!item.contains("ResTarget"))
      continue;
    auto& rt = item["ResTarget"];
    const auto& val = child(rt, "val");
    if (val.contains("ColumnRef") && !rt.contains("name")) {
      const auto& fields = child(val["ColumnRef"], "fields");
      if (!fields.empty() && fields.back().contains("A_Star")) {
        auto expanded = star(val["ColumnRef"], sc, eff);
        cols.insert(cols.end(), expanded.cols.begin(), expanded.cols.end());
        opaque.insert(opaque.end(), expanded.opaque.begin(), expanded.opaque.end());
        continue;
      }
    }
    out_col c;
    c.sources = expr(val, sc, env, eff, context::plain);
    if (rt.contains("name")) {
      c.name = rt["name"].get<std::string>();
      c.named = true;
    } else {
      c.name = figure_name(val);
      c.named = val.contains("ColumnRef");
    }
    cols.push_back(std::move(c));
  }
  return cols;
}

cte_env walker::with_clause(const json& with, const scope* outer, cte_env env,
                            effects& eff) {
  bool recursive = with.value("recursive", false);
  for (auto& item : child(with, "ctes")) {
    if (!item.contains("CommonTableExpr"))
      continue;
    auto& c = item["CommonTableExpr"];
    auto name = c.value("ctename", "");
    const auto& q = child(c, "ctequery");
    auto reads = std::make_shared<effects>();
    auto result = std::make_shared<shape>();
    if (q.contains("SelectStmt")) {
      auto& sel = q["SelectStmt"];
      if (recursive && sel.value("op", "SETOP_NONE") != "SETOP_NONE") {
        // The non-recursive branch gives the columns the recursive one sees.
        auto seed = std::make_shared<shape>(select(sel["larg"], outer, env, *reads));
        auto inner = env;
        inner.push_back({name, seed, reads});
        *result = select(sel, outer, inner, *reads);
      } else {
        *result = select(sel, outer, env, *reads);
      }
    } else if (!q.empty()) {
      // A data-modifying CTE runs whether referenced or not.
      statement_analysis ignored;
      shape fed;
      *result = modify(q.begin().key(), q.begin().value(), env, eff, ignored, fed);
    }
    auto names = strings(child(c, "aliascolnames"));
    for (size_t i = 0; i < names.size() && i < result->cols.size(); ++i) {
      result->cols[i].name = names[i];
      result->cols[i].named = true;
    }
    env.push_back({name, result, reads});
  }
  return env;
}

void walker::from_item(const json& item, scope& sc, const scope* outer, const cte_env& env,
                       effects& eff) {
  if (!item.is_object() || item.empty())
    return;
  enter();
  const auto& key = item.begin().key();
  const auto& v = item.begin().value();
  if (key == "RangeVar") {
    auto parts = range_var_parts(v);
    const cte* found = nullptr;
    if (parts.size() == 1)
      for (auto i = env.rbegin(); i != env.rend() && !found; ++i)
        if (i->name == parts[0])
          found = &*i;
    if (found) {
      relation r;
      r.name = found->name;
      r.derived = found->result;
      if (v.contains("alias"))
        apply_alias(r, v["alias"]);
      eff.merge(*found->reads);
      sc.rels.push_back(std::move(r));
    } else {
      auto r = base_relation(v, parts);
      eff.tables_read.insert(r.table);
      sc.rels.push_back(std::move(r));
    }
  } else if (key == "RangeSubselect") {
    bool lateral = v.value("lateral", false);
    relation r;
    r.derived = std::make_shared<shape>(
      query(child(v, "subquery"), lateral ? &sc : outer, env, eff));
    if (v.contains("alias"))
      apply_alias(r, v["alias"]);
    sc.rels.push_back(std::move(r));
  } else if (key == "JoinExpr") {
    join_expr(v, sc, outer, env, eff);
  } else if (key == "RangeFunction") {
    range_function(v, sc, env, eff);
  } else if (key == "RangeTableSample") {
    from_item(child(v, "relation"), sc, outer, env, eff);
  } else {
    // XMLTABLE, JSON_TABLE and the like: read their arguments; their columns
    // come from no table.
    expr(v, sc, env, eff, context::plain);
    relation r;
    r.function = true;
    if (v.contains("alias"))
      r.name = v["alias"].value("aliasname", "");
    sc.rels.push_back(std::move(r));
  }
  leave();
}

void walker::join_expr(const json& je, scope& sc, const scope* outer, const cte_env& env,
                       effects& eff) {
  size_t first = sc.rels.size();
  from_item(child(je, "larg"), sc, outer, env, eff);
  size_t middle = sc.rels.size();
  from_item(child(je, "rarg"), sc, outer, env, eff);
  if (je.contains("quals"))
    expr(je["quals"], sc, env, eff, context::join);
  for (auto& name : strings(child(je, "usingClause"))) {
    // USING (c): c of the left side equals c of the right side.
    scope left, right;
    left.rels.assign(sc.rels.begin() + first, sc.rels.begin() + middle);
    right.rels.assign(sc.rels.begin() + middle, sc.rels.end());
    json ref = {{"fields", json::array({{{"String", {{"sval", name}}}}})}};
    auto l = column(ref, left, eff);
    auto r = column(ref, right, eff);
    if (l && r && l->size() == 1 && r->size() == 1 && l->begin()->table != r->begin()->table) {
      auto lc = *l->begin();
      auto rc = *r->begin();
      if (rc.table < lc.table)
        std::swap(lc, rc);
      eff.joins.insert({lc.table, lc.column, rc.table, rc.column});
    }
  }
  if (je.contains("alias")) {
    // An aliased join is one relation with the columns of both sides.
    relation joined;
    auto result = std::make_shared<shape>();
    scope inner;
    inner.rels.assign(sc.rels.begin() + first, sc.rels.end());
    effects scratch;
    json all = {{"fields", json::array({{{"A_Star", json::object()}}})}};
    *result = star(all, inner, scratch);
    joined.derived = result;
    apply_alias(joined, je["alias"]);
    sc.rels.resize(first);
    sc.rels.push_back(std::move(joined));
  }
}

void walker::range_function(const json& rf, scope& sc, const cte_env& env, effects& eff) {
  relation r;
  r.function = true;
  for (auto& f : child(rf, "functions")) {
    auto items = f.contains("List") ? child(f["List"], "items") : json::array();
    if (items.empty() || !items[0].is_object() || !items[0].contains("FuncCall"))
      continue;
    auto& call = items[0]["FuncCall"];
    auto fname = strings(child(call, "funcname"));
    const auto& args = child(call, "args");
    // IDENTIFIER(name) / IDENTIFIER('name') (Snowflake, Databricks) names a
    // table; no PostgreSQL function of that name is expected in a query log.
    if (fname.size() == 1 && fname[0] == "identifier" && args.size() == 1) {
      std::vector<std::string> parts;
      if (args[0].contains("ColumnRef"))
        parts = strings(child(args[0]["ColumnRef"], "fields"));
      else if (args[0].contains("A_Const") && args[0]["A_Const"].contains("sval"))
        parts = {args[0]["A_Const"]["sval"].value("sval", "")};
      if (!parts.empty() && !parts[0].empty()) {
        auto t = base_relation(rf, parts);
        eff.tables_read.insert(t.table);
        sc.rels.push_back(std::move(t));
        return;
      }
    }
    if (r.name.empty() && !fname.empty())
      r.name = fname.back();
    expr(args, sc, env, eff, context::plain);
  }
  if (rf.contains("alias"))
    r.name = rf["alias"].value("aliasname", r.name);
  sc.rels.push_back(std::move(r));
}

} // namespace almanac::lineage::detail
