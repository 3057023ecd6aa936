#pragma once

// Analysis of SQL text with libpg_query (the PostgreSQL 15 parser): the
// fingerprint and normalized text that identify a query, its statement kind,
// the tables and columns it reads and writes, its joins and filters, and
// column-level lineage (target column <- source columns). Plain C++, no
// actors; docs/lineage.md describes what is supported and the naming rules.
//
// Names follow PostgreSQL: unquoted identifiers are folded to lower case by
// the parser, quoted ones keep their case. Tables are named by their parts
// joined with "." ("schema.table", "db.schema.table"); an unqualified table
// is resolved against the default schema ("public.orders"), or left bare when
// the default schema is empty. CTE names are not tables.

#include "actors/lineage/sql/schema_provider.hpp"

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace almanac::lineage {

/// What a statement does, by its top-level parse node.
enum class statement_kind {
  select,                   ///< SELECT (also VALUES, TABLE)
  insert,                   ///< INSERT
  update,                   ///< UPDATE
  delete_,                  ///< DELETE
  merge,                    ///< MERGE
  create_table_as,          ///< CREATE TABLE ... AS
  select_into,              ///< SELECT ... INTO table
  create_view,              ///< CREATE [OR REPLACE] VIEW
  create_materialized_view, ///< CREATE MATERIALIZED VIEW
  copy,                     ///< COPY
  ddl,                      ///< CREATE/ALTER/DROP/TRUNCATE/RENAME and the like
  other,                    ///< anything else (SET, BEGIN, EXPLAIN, ...)
};

/// The name of a kind: "select", "insert", ..., "delete", ..., "other".
std::string_view to_string(statement_kind kind);

/// A column of a table (or of a file for COPY: table is "file:<path>").
struct column_ref {
  std::string table;  ///< qualified table name
  std::string column; ///< column name

  friend bool operator==(const column_ref& a, const column_ref& b) {
    return a.table == b.table && a.column == b.column;
  }
  friend bool operator<(const column_ref& a, const column_ref& b) {
    return a.table != b.table ? a.table < b.table : a.column < b.column;
  }
};

/// Two tables joined, with the column pairs their condition equates
/// (ON a.x = b.y, USING (x), or an equality between two tables in WHERE).
/// left < right by name; columns[i] = {left column, right column}.
struct join_pair {
  std::string left;
  std::string right;
  std::vector<std::pair<std::string, std::string>> columns;
};

/// An output column of a query and the base columns it is computed from.
struct output_column {
  std::string name;               ///< alias, column name, or PostgreSQL's default
  bool named = false;             ///< alias given, or a plain column reference
  std::vector<column_ref> sources; ///< sorted, unique
};

/// A column-level lineage edge: `target` is derived from `sources`.
struct column_edge {
  column_ref target;
  std::vector<column_ref> sources; ///< sorted, unique, never empty
};

/// A table-level lineage edge: data flows from `from` to `to`.
struct table_edge {
  std::string from;
  std::string to;
};

/// The analysis of one statement, or (as `analysis`) of a whole text.
struct statement_analysis {
  std::string text;        ///< the statement's text
  std::string fingerprint; ///< pg_query_fingerprint as hex; empty if unparsable
  std::string normalized;  ///< constants replaced by $n; empty if unparsable
  std::optional<std::string> parse_error; ///< the parser's message
  int error_position = -1; ///< 1-based character of the error, if known
  statement_kind kind = statement_kind::other;
  std::vector<std::string> tables_read;    ///< sorted, unique
  std::vector<std::string> tables_written; ///< sorted, unique
  /// Relations the statement names as views (CREATE/ALTER/DROP [MATERIALIZED]
  /// VIEW, ALTER VIEW ... RENAME): sorted, unique.
  std::vector<std::string> views;
  /// Columns read, per table (select list, conditions, grouping, ordering).
  std::map<std::string, std::vector<std::string>> columns_read;
  std::vector<column_ref> columns_written; ///< sorted, unique
  std::vector<join_pair> joins;            ///< sorted by (left, right)
  std::vector<column_ref> filter_columns;  ///< WHERE and HAVING; sorted, unique
  /// Column references that could not be tied to one table (an unqualified
  /// column over several tables whose columns are unknown), sorted.
  std::vector<std::string> unresolved_columns;
  /// The output columns of the statement's query, in order (SELECT list of
  /// a SELECT, of the query feeding INSERT/CTAS/views, RETURNING otherwise).
  std::vector<output_column> outputs;
  std::vector<column_edge> column_lineage; ///< sorted by target
  std::vector<table_edge> table_lineage;   ///< sorted, unique
};

/// The analysis of a text of one or more statements. Its own fields are the
/// union over its statements (kind: the first writing statement's, else
/// the first parsed statement's, else other); `statements` has one entry per
/// statement, each with its own text, fingerprint and parse error. When the
/// text as a whole does not parse, `parse_error` is the first failing
/// statement's error and the statements that do parse are still analyzed.
struct analysis : statement_analysis {
  std::vector<statement_analysis> statements;
};

/// Analyzes `sql`. Bytes that are not valid UTF-8 are replaced by U+FFFD
/// first (PostgreSQL would refuse them in a UTF-8 database). Never throws and never crashes on any input: errors go to
/// `parse_error`. `schemas` (optional) gives table columns for `*` and for
/// resolving unqualified columns; unqualified tables get `default_schema`.
analysis analyze(const std::string& sql, const schema_provider* schemas = nullptr,
                 const std::string& default_schema = "public");

/// What each top-level statement of `sql` does to the session's
/// search_path, in order: nullopt if nothing; "" if it resets it (`RESET
/// search_path`, `RESET ALL`, `SET search_path TO DEFAULT`, `DISCARD
/// ALL`); else the new value as PostgreSQL writes it (`sales, "Mixed"`).
/// `SET LOCAL` (it ends with its transaction) counts as nothing. Empty if
/// the text does not parse.
std::vector<std::optional<std::string>> search_path_changes(const std::string& sql);

/// The parse node names of the top-level statements of `sql`, in order
/// ("SelectStmt", "LockStmt", ...). When the whole text does not parse, the
/// statements the scanner splits out that do parse on their own; unparsable
/// pieces add nothing.
std::vector<std::string> statement_nodes(const std::string& sql);

/// The fingerprint of `sql` as hex (equal for queries differing only in
/// constants and whitespace), or an empty string if it does not parse.
std::string fingerprint(const std::string& sql);

/// `sql` with constants replaced by $1, $2, ...; empty if it does not parse.
std::string normalize(const std::string& sql);

} // namespace almanac::lineage
