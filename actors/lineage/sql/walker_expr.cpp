// Expressions: column references resolved through scopes to base columns,
// sublinks, `*` expansion, equalities that join two tables.

#include "actors/lineage/sql/walker.hpp"

namespace almanac::lineage::detail {

namespace {

enum class has_column { yes, maybe, no };

has_column has(const relation& r, const std::string& col) {
  if (r.function)
    return has_column::maybe;
  if (r.derived) {
    for (auto& c : r.derived->cols)
      if (c.name == col)
        return has_column::yes;
    auto answer = has_column::no;
    for (auto& o : r.derived->opaque) {
      auto h = has(o, col);
      if (h == has_column::yes)
        return h;
      if (h == has_column::maybe)
        answer = h;
    }
    return answer;
  }
  if (r.columns) {
    for (auto& c : *r.columns)
      if (c == col)
        return has_column::yes;
    return has_column::no;
  }
  return has_column::maybe;
}

/// The base columns `col` of `r` comes from; nullopt if it cannot tell
/// (several opaque relations could hold it).
std::optional<std::set<column_ref>> resolve_in(const relation& r, const std::string& col) {
  if (r.function)
    return std::set<column_ref>{};
  if (r.derived) {
    for (auto& c : r.derived->cols)
      if (c.name == col)
        return c.sources;
    if (r.derived->opaque_branches) {
      // Branches of a set operation: each that may hold the column feeds it.
      std::set<column_ref> all;
      bool any = false;
      for (auto& o : r.derived->opaque)
        if (has(o, col) != has_column::no)
          if (auto s = resolve_in(o, col)) {
            all.insert(s->begin(), s->end());
            any = true;
          }
      if (any)
        return all;
      return std::nullopt;
    }
    const relation* maybe = nullptr;
    size_t maybes = 0;
    for (auto& o : r.derived->opaque) {
      auto h = has(o, col);
      if (h == has_column::yes)
        return resolve_in(o, col);
      if (h == has_column::maybe) {
        maybe = &o;
        ++maybes;
      }
    }
    if (maybes == 1)
      return resolve_in(*maybe, col);
    return std::nullopt;
  }
  // A base table: qualified references are trusted even if the catalog
  // does not list the column (it may be stale).
  return std::set<column_ref>{{r.table, col}};
}

/// Whether `r` is what the qualifier `q` (alias, or the table's name with
/// or without its schema) designates. By name first, then by parts.
bool named(const relation& r, const std::vector<std::string>& q) {
  return q.size() == 1 && r.name == q[0];
}

bool by_parts(const relation& r, const std::vector<std::string>& q) {
  if (r.parts.size() < q.size() || r.parts.empty())
    return false;
  return std::equal(q.rbegin(), q.rend(), r.parts.rbegin());
}

const relation* find_relation(const scope& sc, const std::vector<std::string>& q) {
  for (auto* s = &sc; s; s = s->parent)
    for (auto& r : s->rels)
      if (named(r, q))
        return &r;
  for (auto* s = &sc; s; s = s->parent)
    for (auto& r : s->rels)
      if (by_parts(r, q))
        return &r;
  return nullptr;
}

void expand(const relation& r, shape& out) {
  if (r.derived) {
    out.cols.insert(out.cols.end(), r.derived->cols.begin(), r.derived->cols.end());
    out.opaque.insert(out.opaque.end(), r.derived->opaque.begin(), r.derived->opaque.end());
  } else if (r.columns) {
    for (auto& c : *r.columns)
      out.cols.push_back({c, true, {{r.table, c}}});
  } else {
    out.opaque.push_back(r);
  }
}

/// An unqualified column: the innermost scope where a relation surely has
/// it; else the innermost scope where exactly one relation might.
std::optional<std::set<column_ref>> resolve_unqualified(const scope& sc,
                                                        const std::string& col) {
  for (auto* s = &sc; s; s = s->parent)
    for (auto& r : s->rels)
      if (has(r, col) == has_column::yes)
        return resolve_in(r, col);
  // A relation's own name is a whole-row reference (row_to_json(t)).
  for (auto* s = &sc; s; s = s->parent)
    for (auto& r : s->rels)
      if (r.name == col) {
        shape row;
        expand(r, row);
        std::set<column_ref> out;
        for (auto& c : row.cols)
          out.insert(c.sources.begin(), c.sources.end());
        return out;
      }
  for (auto* s = &sc; s; s = s->parent) {
    const relation* maybe = nullptr;
    size_t maybes = 0;
    for (auto& r : s->rels)
      if (has(r, col) == has_column::maybe) {
        maybe = &r;
        ++maybes;
      }
    if (maybes == 1)
      return resolve_in(*maybe, col);
    if (maybes > 1)
      return std::nullopt;
  }
  return std::nullopt;
}


bool is_star(const json& fields) {
  return fields.is_array() && !fields.empty() && fields.back().contains("A_Star");
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (auto& n : names)
    out += (out.empty() ? "" : ".") + n;
  return out;
}

} // namespace

std::optional<std::set<column_ref>> walker::column(const json& ref, const scope& sc,
                                                   effects& eff) {
  const auto& fields = child(ref, "fields");
  if (is_star(fields)) {
    std::set<column_ref> out;
    for (auto& c : star(ref, sc, eff).cols)
      out.insert(c.sources.begin(), c.sources.end());
    return out;
  }
  auto names = strings(fields);
  if (names.empty())
    return std::nullopt;
  std::optional<std::set<column_ref>> found;
  if (names.size() == 1) {
    found = resolve_unqualified(sc, names[0]);
  } else {
    std::vector<std::string> q(names.begin(), names.end() - 1);
    if (auto* r = find_relation(sc, q))
      found = resolve_in(*r, names.back());
  }
  if (!found) {
    eff.unresolved.insert(joined(names));
    return found;
  }
  eff.columns_read.insert(found->begin(), found->end());
  return found;
}

shape walker::star(const json& ref, const scope& sc, effects& eff) {
  shape out;
  auto names = strings(child(ref, "fields"));
  if (names.empty()) {
    for (auto& r : sc.rels)
      expand(r, out);
  } else if (auto* r = find_relation(sc, names)) {
    expand(*r, out);
  } else {
    eff.unresolved.insert(joined(names) + ".*");
  }
  for (auto& c : out.cols)
    eff.columns_read.insert(c.sources.begin(), c.sources.end());
  return out;
}

void walker::equality(const json& a, const scope& sc, effects& eff) {
  auto op = strings(child(a, "name"));
  if (a.value("kind", "AEXPR_OP") != "AEXPR_OP" || op.size() != 1 || op[0] != "=")
    return;
  if (!a.contains("lexpr") || !a.contains("rexpr") || !a["lexpr"].contains("ColumnRef")
      || !a["rexpr"].contains("ColumnRef"))
    return;
  effects scratch;
  auto l = column(a["lexpr"]["ColumnRef"], sc, scratch);
  auto r = column(a["rexpr"]["ColumnRef"], sc, scratch);
  if (!l || !r || l->size() != 1 || r->size() != 1)
    return;
  auto lc = *l->begin();
  auto rc = *r->begin();
  if (lc.table == rc.table)
    return;
  if (rc.table < lc.table)
    std::swap(lc, rc);
  eff.joins.insert({lc.table, lc.column, rc.table, rc.column});
}

std::set<column_ref> walker::sublink(const json& link, const scope& sc, const cte_env& env,
                                     effects& eff, context ctx) {
  std::set<column_ref> out;
  if (link.contains("testexpr"))
    out = expr(link["testexpr"], sc, env, eff, ctx);
  if (!link.contains("subselect"))
    return out;
  auto result = query(link["subselect"], &sc, env, eff);
  auto type = link.value("subLinkType", "EXISTS_SUBLINK");
  // A scalar or array subquery's value is its output; EXISTS and IN only
  // test rows.
  if (type == "EXPR_SUBLINK" || type == "ARRAY_SUBLINK" || type == "MULTIEXPR_SUBLINK")
    for (auto& c : result.cols)
      out.insert(c.sources.begin(), c.sources.end());
  return out;
}

std::set<column_ref> walker::expr(const json& node, const scope& sc, const cte_env& env,
                                  effects& eff, context ctx) {
  std::set<column_ref> out;
  if (!node.is_structured())
    return out;
  enter();
  if (node.is_array()) {
    for (auto& item : node) {
      auto s = expr(item, sc, env, eff, ctx);
      out.insert(s.begin(), s.end());
    }
    leave();
    return out;
  }
  for (auto it = node.begin(); it != node.end(); ++it) {
    const auto& key = it.key();
    const auto& v = it.value();
    std::set<column_ref> s;
    if (key == "ColumnRef") {
      if (auto found = column(v, sc, eff)) {
        s = std::move(*found);
        if (ctx == context::filter)
          eff.filters.insert(s.begin(), s.end());
      }
    } else if (key == "SubLink") {
      s = sublink(v, sc, env, eff, ctx);
    } else if (key == "SelectStmt") {
      for (auto& c : select(v, &sc, env, eff).cols)
        s.insert(c.sources.begin(), c.sources.end());
    } else {
      if (key == "A_Expr" && ctx != context::plain)
        equality(v, sc, eff);
      s = expr(v, sc, env, eff, ctx);
    }
    out.insert(s.begin(), s.end());
  }
  leave();
  return out;
}

} // namespace almanac::lineage::detail
