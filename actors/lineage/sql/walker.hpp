#pragma once

// The walk over one statement's libpg_query JSON tree (internal to the SQL
// analysis). Queries are analyzed bottom-up into `shape`s: their output
// columns with the base-table columns each comes from. FROM clauses become
// scopes of relations (base tables, subqueries, CTEs, functions) in which
// column references resolve; scopes chain to their outer query for
// correlated subqueries. Reads are gathered in `effects`; a CTE's effects
// count only where the CTE is referenced (PostgreSQL never evaluates an
// unreferenced SELECT CTE). Writes and lineage edges go to the walker.

#include "actors/lineage/sql/sql_analysis.hpp"

#include <nlohmann/json.hpp>

#include <memory>
#include <set>
#include <tuple>

namespace almanac::lineage::detail {

using json = nlohmann::json;

struct shape;

/// A relation in a FROM clause (or the target of UPDATE/DELETE/MERGE).
struct relation {
  std::string name;               ///< alias, else the relation's own name
  std::vector<std::string> parts; ///< qualified name as written (base tables)
  std::string table;              ///< qualified base table; empty otherwise
  std::optional<std::vector<std::string>> columns; ///< known base columns
  std::shared_ptr<const shape> derived; ///< subquery, CTE or aliased join
  bool function = false; ///< a function in FROM: its columns have no sources
};

/// An output column of a query while walking.
struct out_col {
  std::string name;
  bool named = false;
  std::set<column_ref> sources;
};

/// The result of a query: named columns, plus relations whose columns a
/// `*` passed through without knowing them.
struct shape {
  std::vector<out_col> cols;
  std::vector<relation> opaque;
  /// The opaque relations are the branches of a set operation (UNION of
  /// `SELECT *`s), each feeding the same columns: a name comes from every
  /// one that may hold it, not from exactly one.
  bool opaque_branches = false;
};

/// What a query reads.
struct effects {
  std::set<std::string> tables_read;
  std::set<column_ref> columns_read;
  std::set<column_ref> filters;
  /// (left table, left column, right table, right column), left < right.
  std::set<std::tuple<std::string, std::string, std::string, std::string>> joins;
  std::set<std::string> unresolved;

  void merge(const effects& other);
};

/// Relations visible to an expression; `parent` is the enclosing query's.
struct scope {
  std::vector<relation> rels;
  const scope* parent = nullptr;
};

/// A CTE in scope: its result and what evaluating it reads.
struct cte {
  std::string name;
  std::shared_ptr<const shape> result;
  std::shared_ptr<effects> reads;
};

/// CTEs in scope; later entries shadow earlier ones.
using cte_env = std::vector<cte>;

/// Where an expression sits: plain, a filter (WHERE/HAVING) or a join
/// condition (equalities between two tables become join pairs in both).
enum class context { plain, filter, join };

/// Walks one statement and fills a statement_analysis.
class walker {
public:
  walker(const schema_provider* schemas, std::string default_schema);

  /// Analyzes `stmt` (the object under "stmt" in the parse tree) into `out`.
  void statement(const json& stmt, statement_analysis& out);

private:
  // Names and relations (walker_names.cpp).
  std::vector<std::string> range_var_parts(const json& rv) const;
  std::string qualify(const std::vector<std::string>& parts) const;
  relation base_relation(const json& rv, const std::vector<std::string>& parts) const;
  relation target_relation(const json& rv) const;
  static void apply_alias(relation& r, const json& alias);

  // Queries (walker_query.cpp).
  shape query(const json& node, const scope* outer, const cte_env& env, effects& eff);
  shape select(const json& sel, const scope* outer, cte_env env, effects& eff);
  cte_env with_clause(const json& with, const scope* outer, cte_env env, effects& eff);
  void from_item(const json& item, scope& sc, const scope* outer, const cte_env& env,
                 effects& eff);
  void join_expr(const json& je, scope& sc, const scope* outer, const cte_env& env,
                 effects& eff);
  void range_function(const json& rf, scope& sc, const cte_env& env, effects& eff);
  std::vector<out_col> targets(const json& list, const scope& sc, const cte_env& env,
                               effects& eff, std::vector<relation>& opaque);

  // Expressions and column resolution (walker_expr.cpp).
  std::set<column_ref> expr(const json& node, const scope& sc, const cte_env& env,
                            effects& eff, context ctx);
  std::set<column_ref> sublink(const json& link, const scope& sc, const cte_env& env,
                               effects& eff, context ctx);
  void equality(const json& a_expr, const scope& sc, effects& eff);
  std::optional<std::set<column_ref>> column(const json& column_ref, const scope& sc,
                                             effects& eff);
  shape star(const json& column_ref, const scope& sc, effects& eff);

  // Statements (walker_statement.cpp).
  shape modify(const std::string& key, const json& s, const cte_env& env, effects& eff,
               statement_analysis& out, shape& fed);
  /// The scope of UPDATE/DELETE/MERGE: the target, then the relations
  /// under `from` (FROM, USING, or MERGE's source); walks WHERE.
  scope target_scope(const json& s, cte_env& env, effects& eff, const char* from);
  shape returning(const json& s, const scope& sc, const cte_env& env, effects& eff);
  shape insert(const json& s, cte_env env, effects& eff, shape& fed);
  shape update(const json& s, cte_env env, effects& eff);
  shape remove(const json& s, cte_env env, effects& eff);
  shape merge(const json& s, cte_env env, effects& eff);
  void copy(const json& s, effects& eff, shape& outputs);
  void ddl(const std::string& key, const json& s, effects& eff, statement_analysis& out);
  void write(const std::string& table);
  void write_columns(const std::string& table, std::vector<std::string> names,
                     const shape& from);
  void assign(const std::string& table, const std::string& column,
              const std::set<column_ref>& sources);
  void finish(const effects& eff, const shape& outputs, statement_analysis& out) const;

  void enter();
  void leave() { --depth_; }

  const schema_provider* schemas_;
  std::string default_schema_;
  std::set<std::string> written_;
  std::set<column_ref> columns_written_;
  std::map<column_ref, std::set<column_ref>> edges_;
  std::set<std::pair<std::string, std::string>> table_edges_;
  std::set<std::string> views_; ///< relations named as views
  int depth_ = 0;
};

/// j[key] when j is an object holding key, else an empty object: read
/// without copying, and iterating or querying it finds nothing.
const json& child(const json& j, const char* key);

/// The string values of a list of {"String":{"sval":...}} nodes.
std::vector<std::string> strings(const json& list);

/// The column name PostgreSQL gives an unnamed output expression.
std::string figure_name(const json& expr);

} // namespace almanac::lineage::detail
