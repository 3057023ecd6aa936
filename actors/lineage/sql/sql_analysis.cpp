// libpg_query glue: parse, split, fingerprint, normalize (every result freed
// with its own pg_query_free_*), then the walk of each statement and the
// union over statements.

#include "actors/lineage/sql/sql_analysis.hpp"

#include "actors/lineage/sql/walker.hpp"
#include "messages/json_guard.hpp"

#include <pg_query.h>

#include <cctype>

#include <algorithm>
#include <set>

namespace almanac::lineage {

namespace {

using detail::json;

/// Characters (not bytes) in the UTF-8 text s[0, bytes).
int chars_before(const std::string& s, size_t bytes) {
  int n = 0;
  for (size_t i = 0; i < bytes && i < s.size(); ++i)
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80)
      ++n;
  return n;
}

/// Removes leading and trailing white space and semicolons.
void trim(std::string& s) {
  auto first = s.find_first_not_of(" \t\r\n");
  auto last = s.find_last_not_of(" \t\r\n;");
  s = first == std::string::npos || last < first ? "" : s.substr(first, last - first + 1);
}

/// Parses `sql`; on success returns the tree, else fills the error.
std::optional<json> parse(const std::string& sql, statement_analysis& out) {
  auto result = pg_query_parse(sql.c_str());
  std::optional<json> tree;
  if (result.error) {
    // The scanner quotes the text near the error byte by byte: a quote can
    // end inside a multi-byte character.
    out.parse_error = to_valid_utf8(result.error->message ? result.error->message
                                                          : "parse error");
    out.error_position = result.error->cursorpos > 0 ? result.error->cursorpos : -1;
  } else {
    tree = json::parse(result.parse_tree ? result.parse_tree : "{}");
  }
  pg_query_free_parse_result(result);
  return tree;
}

/// Fills fingerprint and normalized text of a statement that parsed.
void identify(statement_analysis& s) {
  s.fingerprint = fingerprint(s.text);
  s.normalized = normalize(s.text);
}

/// Analyzes each statement of a parsed tree of `sql`.
void walk_tree(const json& tree, const std::string& sql, const schema_provider* schemas,
               const std::string& default_schema, std::vector<statement_analysis>& out) {
  auto stmts = tree.value("stmts", json::array());
  for (auto& raw : stmts) {
    statement_analysis s;
    size_t begin = raw.value("stmt_location", 0);
    size_t len = raw.value("stmt_len", 0);
    begin = std::min(begin, sql.size());
    s.text = len ? sql.substr(begin, len) : sql.substr(begin);
    if (stmts.size() == 1)
      s.text = sql;
    trim(s.text);
    detail::walker w(schemas, default_schema);
    w.statement(raw.value("stmt", json::object()), s);
    out.push_back(std::move(s));
  }
}

/// When the whole text does not parse: split it with the scanner and
/// analyze each piece on its own, so good statements still count.
void split_and_walk(const std::string& sql, const schema_provider* schemas,
                    const std::string& default_schema, std::vector<statement_analysis>& out) {
  auto split = pg_query_split_with_scanner(sql.c_str());
  std::vector<std::pair<size_t, size_t>> pieces;
  if (!split.error)
    for (int i = 0; i < split.n_stmts; ++i)
      pieces.emplace_back(split.stmts[i]->stmt_location, split.stmts[i]->stmt_len);
  pg_query_free_split_result(split);
  // The scanner leaves out text it cannot start a statement with ("selec
  // 1"): every stretch no piece covers becomes a piece of its own.
  std::vector<std::pair<size_t, size_t>> all;
  size_t covered = 0;
  auto gap = [&](size_t until) {
    auto text = sql.substr(covered, until - covered);
    if (text.find_first_not_of(" \t\r\n;") != std::string::npos)
      all.emplace_back(covered, until - covered);
  };
  for (auto [begin, len] : pieces) {
    if (begin < covered || begin > sql.size())
      continue;
    gap(begin);
    len = len ? std::min(len, sql.size() - begin) : sql.size() - begin;
    all.emplace_back(begin, len);
    covered = begin + len;
  }
  gap(sql.size());
  for (auto [begin, len] : all) {
    std::string text = sql.substr(begin, len);
    std::vector<statement_analysis> parsed;
    statement_analysis failed;
    if (auto tree = parse(text, failed)) {
      walk_tree(*tree, text, schemas, default_schema, parsed);
    } else {
      failed.text = text;
      trim(failed.text);
      if (failed.error_position > 0)
        failed.error_position += chars_before(sql, begin);
      parsed.push_back(std::move(failed));
    }
    for (auto& s : parsed) {
      if (!s.parse_error)
        identify(s);
      out.push_back(std::move(s));
    }
  }
}

template <class T>
void add_sorted(std::vector<T>& into, const std::vector<T>& from) {
  std::set<T> all(into.begin(), into.end());
  all.insert(from.begin(), from.end());
  into.assign(all.begin(), all.end());
}

bool writes(statement_kind k) {
  return k != statement_kind::select && k != statement_kind::ddl
         && k != statement_kind::other;
}

/// The union of the statements into `a`.
void merge_statements(analysis& a) {
  std::map<std::string, std::set<std::string>> columns;
  std::map<std::pair<std::string, std::string>, std::set<std::pair<std::string, std::string>>>
    joins;
  std::map<column_ref, std::set<column_ref>> edges;
  std::set<std::pair<std::string, std::string>> table_edges;
  const statement_analysis* first_writer = nullptr;
  const statement_analysis* first_parsed = nullptr;
  for (auto& s : a.statements) {
    if (s.parse_error && !a.parse_error) {
      a.parse_error = s.parse_error;
      a.error_position = s.error_position;
    }
    if (!first_writer && writes(s.kind))
      first_writer = &s;
    if (!first_parsed && !s.parse_error)
      first_parsed = &s;
    add_sorted(a.tables_read, s.tables_read);
    add_sorted(a.tables_written, s.tables_written);
    add_sorted(a.views, s.views);
    add_sorted(a.columns_written, s.columns_written);
    add_sorted(a.filter_columns, s.filter_columns);
    add_sorted(a.unresolved_columns, s.unresolved_columns);
    for (auto& [t, cs] : s.columns_read)
      columns[t].insert(cs.begin(), cs.end());
    for (auto& j : s.joins)
      joins[{j.left, j.right}].insert(j.columns.begin(), j.columns.end());
    for (auto& e : s.column_lineage)
      edges[e.target].insert(e.sources.begin(), e.sources.end());
    for (auto& e : s.table_lineage)
      table_edges.insert({e.from, e.to});
    a.outputs.insert(a.outputs.end(), s.outputs.begin(), s.outputs.end());
  }
  if (first_writer)
    a.kind = first_writer->kind;
  else if (first_parsed)
    a.kind = first_parsed->kind;
  for (auto& [t, cs] : columns)
    a.columns_read[t].assign(cs.begin(), cs.end());
  for (auto& [tables, cs] : joins)
    a.joins.push_back({tables.first, tables.second, {cs.begin(), cs.end()}});
  for (auto& [target, sources] : edges)
    a.column_lineage.push_back({target, {sources.begin(), sources.end()}});
  for (auto& [from, to] : table_edges)
    a.table_lineage.push_back({from, to});
}

} // namespace

std::string_view to_string(statement_kind kind) {
  switch (kind) {
    case statement_kind::select: return "select";
    case statement_kind::insert: return "insert";
    case statement_kind::update: return "update";
    case statement_kind::delete_: return "delete";
    case statement_kind::merge: return "merge";
    case statement_kind::create_table_as: return "create_table_as";
    case statement_kind::select_into: return "select_into";
    case statement_kind::create_view: return "create_view";
    case statement_kind::create_materialized_view: return "create_materialized_view";
    case statement_kind::copy: return "copy";
    case statement_kind::ddl: return "ddl";
    case statement_kind::other: return "other";
  }
  return "other";
}

namespace {

/// `name` as an element of a search_path: bare if PostgreSQL would not
/// quote it, else double-quoted (quote_identifier).
std::string path_element(const std::string& name) {
  bool bare = !name.empty() && (std::islower(static_cast<unsigned char>(name[0])) || name[0] == '_');
  for (char c : name)
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c))
          || c == '_'))
      bare = false;
  if (bare)
    return name;
  std::string out = "\"";
  for (char c : name)
    out += c == '"' ? std::string{"\"\""} : std::string(1, c);
  return out + "\"";
}

} // namespace

std::vector<std::optional<std::string>> search_path_changes(const std::string& text) {
  std::vector<std::optional<std::string>> out;
  statement_analysis ignored;
  auto tree = parse(to_valid_utf8(text), ignored);
  if (!tree)
    return out;
  for (auto& raw : tree->value("stmts", json::array())) {
    auto stmt = raw.value("stmt", json::object());
    std::optional<std::string> change;
    if (stmt.contains("VariableSetStmt")) {
      auto& v = stmt["VariableSetStmt"];
      auto kind = v.value("kind", "");
      bool ours = v.value("name", "") == "search_path";
      if (kind == "VAR_RESET_ALL" || (ours && (kind == "VAR_RESET" || kind == "VAR_SET_DEFAULT")))
        change = "";
      else if (ours && kind == "VAR_SET_VALUE" && !v.value("is_local", false)) {
        std::string path;
        for (auto& a : v.value("args", json::array())) {
          auto c = a.value("A_Const", json::object());
          auto value = c.value("sval", json::object()).value("sval", std::string{});
          if (!value.empty())
            path += (path.empty() ? "" : ", ") + path_element(value);
        }
        change = path;
      }
    } else if (stmt.contains("DiscardStmt")
               && stmt["DiscardStmt"].value("target", "") == "DISCARD_ALL") {
      change = "";
    }
    out.push_back(std::move(change));
  }
  return out;
}

std::vector<std::string> statement_nodes(const std::string& text) {
  const auto sql = to_valid_utf8(text);
  std::vector<std::string> out;
  auto collect = [&](const std::string& piece) {
    statement_analysis ignored;
    if (auto tree = parse(piece, ignored))
      for (auto& raw : tree->value("stmts", json::array()))
        if (auto stmt = raw.value("stmt", json::object()); stmt.is_object() && !stmt.empty())
          out.push_back(stmt.begin().key());
    return ignored.parse_error.has_value();
  };
  if (!collect(sql))
    return out;
  auto split = pg_query_split_with_scanner(sql.c_str());
  std::vector<std::string> pieces;
  if (!split.error)
    for (int i = 0; i < split.n_stmts; ++i) {
      size_t begin = std::min<size_t>(split.stmts[i]->stmt_location, sql.size());
      size_t len = split.stmts[i]->stmt_len;
      pieces.push_back(len ? sql.substr(begin, len) : sql.substr(begin));
    }
  pg_query_free_split_result(split);
  for (auto& piece : pieces)
    collect(piece);
  return out;
}

std::string fingerprint(const std::string& sql) {
  auto result = pg_query_fingerprint(sql.c_str());
  std::string out;
  if (!result.error && result.fingerprint_str)
    out = result.fingerprint_str;
  pg_query_free_fingerprint_result(result);
  return out;
}

std::string normalize(const std::string& sql) {
  auto result = pg_query_normalize(sql.c_str());
  std::string out;
  if (!result.error && result.normalized_query)
    out = result.normalized_query;
  pg_query_free_normalize_result(result);
  return out;
}

analysis analyze(const std::string& text, const schema_provider* schemas,
                 const std::string& default_schema) {
  const auto sql = to_valid_utf8(text);
  analysis a;
  a.text = sql;
  try {
    statement_analysis whole;
    if (auto tree = parse(sql, whole)) {
      walk_tree(*tree, sql, schemas, default_schema, a.statements);
      identify(a);
      for (auto& s : a.statements) {
        if (a.statements.size() == 1) {
          s.fingerprint = a.fingerprint;
          s.normalized = a.normalized;
        } else {
          identify(s);
        }
      }
    } else {
      split_and_walk(sql, schemas, default_schema, a.statements);
    }
    merge_statements(a);
    if (!a.parse_error && a.statements.empty())
      a.kind = statement_kind::other;
  } catch (const std::exception& e) {
    analysis failed;
    failed.text = sql;
    failed.parse_error = std::string("analysis failed: ") + e.what();
    return failed;
  }
  return a;
}

} // namespace almanac::lineage
