// Statements: what each kind reads and writes, and its lineage edges.

#include "actors/lineage/sql/walker.hpp"

namespace almanac::lineage::detail {

namespace {

std::vector<std::string> target_names(const json& list) {
  std::vector<std::string> out;
  for (auto& item : list)
    if (item.contains("ResTarget"))
      out.push_back(item["ResTarget"].value("name", ""));
  return out;
}

bool starts_with(const std::string& s, const char* prefix) {
  return s.rfind(prefix, 0) == 0;
}

bool is_table_object(const std::string& type) {
  return type == "OBJECT_TABLE" || type == "OBJECT_VIEW" || type == "OBJECT_MATVIEW"
         || type == "OBJECT_FOREIGN_TABLE";
}

bool is_view_object(const std::string& type) {
  return type == "OBJECT_VIEW" || type == "OBJECT_MATVIEW";
}

template <class T>
std::vector<T> sorted(const std::set<T>& s) {
  return {s.begin(), s.end()};
}

} // namespace

void walker::write(const std::string& table) {
  written_.insert(table);
}

void walker::assign(const std::string& table, const std::string& column,
                    const std::set<column_ref>& sources) {
  columns_written_.insert({table, column});
  if (!sources.empty())
    edges_[{table, column}].insert(sources.begin(), sources.end());
}

void walker::write_columns(const std::string& table, std::vector<std::string> names,
                           const shape& from) {
  // Without names (CTAS, SELECT INTO, views) the query's outputs name the
  // columns; an empty name is a column not known by name (skipped).
  for (size_t i = 0; i < names.size(); ++i)
    if (!names[i].empty())
      assign(table, names[i], i < from.cols.size() ? from.cols[i].sources
                                                   : std::set<column_ref>{});
}

void walker::statement(const json& stmt, statement_analysis& out) {
  effects eff;
  shape outputs;
  if (!stmt.is_object() || stmt.empty()) {
    out.kind = statement_kind::other;
    finish(eff, outputs, out);
    return;
  }
  const auto& key = stmt.begin().key();
  const auto& s = stmt.begin().value();
  auto into_names = [&](const json& into) {
    auto names = strings(child(into, "colNames"));
    if (names.empty())
      for (auto& c : outputs.cols)
        names.push_back(c.name);
    return names;
  };
  if (key == "SelectStmt") {
    outputs = select(s, nullptr, {}, eff);
    out.kind = statement_kind::select;
    if (s.contains("intoClause")) {
      out.kind = statement_kind::select_into;
      auto& into = s["intoClause"];
      auto table = qualify(range_var_parts(child(into, "rel")));
      write(table);
      write_columns(table, into_names(into), outputs);
    }
  } else if (key == "InsertStmt" || key == "UpdateStmt" || key == "DeleteStmt"
             || key == "MergeStmt") {
    shape fed;
    modify(key, s, {}, eff, out, fed);
    outputs = std::move(fed);
  } else if (key == "CreateTableAsStmt") {
    outputs = query(child(s, "query"), nullptr, {}, eff);
    out.kind = s.value("objtype", "") == "OBJECT_MATVIEW"
                 ? statement_kind::create_materialized_view
                 : statement_kind::create_table_as;
    const auto& into = child(s, "into");
    auto table = qualify(range_var_parts(child(into, "rel")));
    write(table);
    if (out.kind == statement_kind::create_materialized_view)
      views_.insert(table);
    write_columns(table, into_names(into), outputs);
  } else if (key == "ViewStmt") {
    outputs = query(child(s, "query"), nullptr, {}, eff);
    out.kind = statement_kind::create_view;
    auto table = qualify(range_var_parts(child(s, "view")));
    write(table);
    views_.insert(table);
    auto names = strings(child(s, "aliases"));
    if (names.empty())
      for (auto& c : outputs.cols)
        names.push_back(c.name);
    write_columns(table, names, outputs);
  } else if (key == "CopyStmt") {
    out.kind = statement_kind::copy;
    copy(s, eff, outputs);
  } else if (key == "ExplainStmt") {
    statement(child(s, "query"), out);
    out.kind = statement_kind::other;
    return;
  } else {
    ddl(key, s, eff, out);
  }
  // A table read into itself (INSERT INTO t SELECT ... FROM t) is a
  // self-edge, kept like any (docs/lineage.md).
  for (auto& from : eff.tables_read)
    for (auto& to : written_)
      table_edges_.insert({from, to});
  finish(eff, outputs, out);
}

shape walker::modify(const std::string& key, const json& s, const cte_env& env,
                     effects& eff, statement_analysis& out, shape& fed) {
  if (key == "InsertStmt") {
    out.kind = statement_kind::insert;
    return insert(s, env, eff, fed);
  }
  if (key == "UpdateStmt") {
    out.kind = statement_kind::update;
    return update(s, env, eff);
  }
  if (key == "DeleteStmt") {
    out.kind = statement_kind::delete_;
    return remove(s, env, eff);
  }
  if (key == "MergeStmt") {
    out.kind = statement_kind::merge;
    return merge(s, env, eff);
  }
  return {};
}

scope walker::target_scope(const json& s, cte_env& env, effects& eff, const char* from) {
  if (s.contains("withClause"))
    env = with_clause(s["withClause"], nullptr, std::move(env), eff);
  auto target = target_relation(child(s, "relation"));
  write(target.table);
  scope sc;
  sc.rels.push_back(std::move(target));
  const auto& items = child(s, from);
  for (auto& item : items.is_array() ? items : json::array({items}))
    from_item(item, sc, nullptr, env, eff);
  if (s.contains("whereClause"))
    expr(s["whereClause"], sc, env, eff, context::filter);
  return sc;
}

shape walker::returning(const json& s, const scope& sc, const cte_env& env, effects& eff) {
  shape out;
  out.cols = targets(child(s, "returningList"), sc, env, eff, out.opaque);
  return out;
}

shape walker::insert(const json& s, cte_env env, effects& eff, shape& fed) {
  if (s.contains("withClause"))
    env = with_clause(s["withClause"], nullptr, std::move(env), eff);
  auto target = target_relation(child(s, "relation"));
  write(target.table);
  auto names = target_names(child(s, "cols"));
  if (s.contains("selectStmt"))
    fed = query(s["selectStmt"], nullptr, env, eff);
  if (names.empty() && target.columns)
    names = *target.columns;
  if (names.empty() && !target.columns && fed.opaque.empty())
    // A target of unknown columns and no column list: the i-th output
    // feeds the i-th column, which takes the output's name (as PostgreSQL
    // maps them, by position; docs/lineage.md). An output without a name
    // (`a + b`) names no column.
    for (auto& c : fed.cols)
      names.push_back(c.name == "?column?" ? std::string{} : c.name);
  write_columns(target.table, names, fed);
  scope sc;
  sc.rels.push_back(target);
  auto excluded = target;
  excluded.name = "excluded";
  sc.rels.push_back(excluded);
  if (s.contains("onConflictClause"))
    expr(s["onConflictClause"], sc, env, eff, context::plain);
  return returning(s, sc, env, eff);
}

shape walker::update(const json& s, cte_env env, effects& eff) {
  auto sc = target_scope(s, env, eff, "fromClause");
  const auto target = sc.rels.front();
  for (auto& item : child(s, "targetList")) {
    if (!item.contains("ResTarget"))
      continue;
    auto& rt = item["ResTarget"];
    const auto& val = child(rt, "val");
    std::set<column_ref> sources;
    if (val.contains("MultiAssignRef")) {
      // SET (a, b) = (SELECT x, y ...) or ROW(x, y): the colno-th value.
      auto& m = val["MultiAssignRef"];
      size_t colno = m.value("colno", 1);
      const auto& source = child(m, "source");
      if (source.contains("SubLink")) {
        auto result = query(child(source["SubLink"], "subselect"), &sc, env, eff);
        if (colno >= 1 && colno <= result.cols.size())
          sources = result.cols[colno - 1].sources;
      } else if (source.contains("RowExpr")) {
        const auto& args = child(source["RowExpr"], "args");
        if (colno >= 1 && colno <= args.size())
          sources = expr(args[colno - 1], sc, env, eff, context::plain);
      } else {
        sources = expr(source, sc, env, eff, context::plain);
      }
    } else {
      sources = expr(val, sc, env, eff, context::plain);
    }
    assign(target.table, rt.value("name", ""), sources);
  }
  return returning(s, sc, env, eff);
}

shape walker::remove(const json& s, cte_env env, effects& eff) {
  auto sc = target_scope(s, env, eff, "usingClause");
  return returning(s, sc, env, eff);
}

shape walker::merge(const json& s, cte_env env, effects& eff) {
  auto sc = target_scope(s, env, eff, "sourceRelation");
  const auto target = sc.rels.front();
  if (s.contains("joinCondition"))
    expr(s["joinCondition"], sc, env, eff, context::join);
  for (auto& item : child(s, "mergeWhenClauses")) {
    if (!item.contains("MergeWhenClause"))
      continue;
    auto& w = item["MergeWhenClause"];
    // WHEN NOT MATCHED: there is no target row; the condition and the
    // values see only the source relation.
    scope source_only = sc;
    if (!w.value("matched", false) && !source_only.rels.empty())
      source_only.rels.erase(source_only.rels.begin());
    if (w.contains("condition"))
      expr(w["condition"], source_only, env, eff, context::filter);
    auto command = w.value("commandType", "");
    const auto& list = child(w, "targetList");
    if (command == "CMD_UPDATE") {
      for (auto& t : list)
        if (t.contains("ResTarget"))
          assign(target.table, t["ResTarget"].value("name", ""),
                 expr(child(t["ResTarget"], "val"), sc, env, eff,
                      context::plain));
    } else if (command == "CMD_INSERT") {
      auto names = target_names(list);
      if (names.empty() && target.columns)
        names = *target.columns;
      const auto& values = child(w, "values");
      for (size_t i = 0; i < values.size(); ++i) {
        auto sources = expr(values[i], source_only, env, eff, context::plain);
        if (i < names.size())
          assign(target.table, names[i], sources);
      }
    }
  }
  return {};
}

void walker::copy(const json& s, effects& eff, shape& outputs) {
  bool from = s.value("is_from", false);
  std::string place = s.value("is_program", false) ? "program:" + s.value("filename", "")
                      : s.contains("filename")     ? "file:" + s.value("filename", "")
                      : from                       ? "stdin"
                                                   : "stdout";
  if (s.contains("relation")) {
    auto t = target_relation(s["relation"]);
    auto names = strings(child(s, "attlist"));
    if (names.empty() && t.columns)
      names = *t.columns;
    if (from) {
      write(t.table);
      table_edges_.insert({place, t.table});
      for (auto& c : names)
        columns_written_.insert({t.table, c});
    } else {
      eff.tables_read.insert(t.table);
      table_edges_.insert({t.table, place});
      for (auto& c : names)
        eff.columns_read.insert({t.table, c});
    }
  }
  if (s.contains("query")) {
    outputs = query(s["query"], nullptr, {}, eff);
    for (auto& t : eff.tables_read)
      table_edges_.insert({t, place});
  }
}

void walker::ddl(const std::string& key, const json& s, effects& eff,
                 statement_analysis& out) {
  bool is_ddl = starts_with(key, "Create") || starts_with(key, "Alter")
                || starts_with(key, "Drop") || key == "RenameStmt" || key == "TruncateStmt"
                || key == "IndexStmt" || key == "CommentStmt" || key == "GrantStmt"
                || key == "DefineStmt";
  out.kind = is_ddl ? statement_kind::ddl : statement_kind::other;
  if (key == "CreateStmt") {
    auto t = target_relation(child(s, "relation"));
    write(t.table);
    for (auto& e : child(s, "tableElts")) {
      if (e.contains("ColumnDef"))
        columns_written_.insert({t.table, e["ColumnDef"].value("colname", "")});
      if (e.contains("TableLikeClause"))
        eff.tables_read.insert(
          target_relation(child(e["TableLikeClause"], "relation")).table);
    }
    for (auto& p : child(s, "inhRelations"))
      if (p.contains("RangeVar"))
        eff.tables_read.insert(target_relation(p["RangeVar"]).table);
  } else if (key == "AlterTableStmt" && s.contains("relation")) {
    auto t = target_relation(s["relation"]).table;
    write(t);
    if (is_view_object(s.value("objtype", "")))
      views_.insert(t);
  } else if (key == "RenameStmt" && s.contains("relation")) {
    auto old = target_relation(s["relation"]);
    bool view = is_view_object(s.value("renameType", ""))
                || is_view_object(s.value("relationType", ""));
    if (is_table_object(s.value("renameType", ""))) {
      eff.tables_read.insert(old.table);
      auto parts = range_var_parts(s["relation"]);
      parts.back() = s.value("newname", "");
      write(qualify(parts));
      if (view) {
        views_.insert(old.table);
        views_.insert(qualify(parts));
      }
    } else {
      write(old.table);
      if (view)
        views_.insert(old.table);
    }
  } else if (key == "DropStmt" && is_table_object(s.value("removeType", ""))) {
    for (auto& o : child(s, "objects"))
      if (o.contains("List")) {
        auto t = qualify(strings(child(o["List"], "items")));
        write(t);
        if (is_view_object(s.value("removeType", "")))
          views_.insert(t);
      }
  } else if (key == "TruncateStmt") {
    for (auto& r : child(s, "relations"))
      if (r.contains("RangeVar"))
        write(target_relation(r["RangeVar"]).table);
  }
}

void walker::finish(const effects& eff, const shape& outputs,
                    statement_analysis& out) const {
  out.tables_read = sorted(eff.tables_read);
  out.tables_written = sorted(written_);
  out.views = sorted(views_);
  out.columns_read.clear();
  for (auto& c : eff.columns_read)
    out.columns_read[c.table].push_back(c.column);
  out.columns_written = sorted(columns_written_);
  out.joins.clear();
  for (auto& [lt, lc, rt, rc] : eff.joins) {
    if (out.joins.empty() || out.joins.back().left != lt || out.joins.back().right != rt)
      out.joins.push_back({lt, rt, {}});
    out.joins.back().columns.emplace_back(lc, rc);
  }
  out.filter_columns = sorted(eff.filters);
  out.unresolved_columns = sorted(eff.unresolved);
  out.outputs.clear();
  for (auto& c : outputs.cols)
    out.outputs.push_back({c.name, c.named, sorted(c.sources)});
  out.column_lineage.clear();
  for (auto& [target, sources] : edges_)
    out.column_lineage.push_back({target, sorted(sources)});
  out.table_lineage.clear();
  for (auto& [from, to] : table_edges_)
    out.table_lineage.push_back({from, to});
}

} // namespace almanac::lineage::detail
