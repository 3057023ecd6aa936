#pragma once

// Shared helpers of the query store, lineage and popularity projections.

#include "messages/events.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace almanac::lineage {

/// "schema.table", "table" (schema public) or "db.schema.table" of source
/// `source` -> its catalog URN (kind table; `view` when `is_view`): the
/// name resolved in a context of that source alone (below).
std::string table_urn(const std::string& source, const std::string& qualified,
                      bool is_view = false);

/// Where a statement's relation names resolve, as PostgreSQL resolves them
/// (docs/lineage.md): the source it ran on, the database it ran in, and its
/// search_path.
struct name_context {
  std::string source;
  /// The database the statement ran in ("" if unknown): a three-part name
  /// naming it is the source's own.
  std::string database;
  /// Schemas for one-part names, in order ("$user" is `user`'s schema).
  std::vector<std::string> search_path{"public"};
  std::string user;
  /// The registered source a three-part name's database `db` names: the
  /// source of that name, else one whose database is `db` ("" if none).
  /// May be empty.
  std::function<std::string(const std::string& db)> source_of;
  /// Whether `schema`.`relation` exists in source `source` (the first
  /// search_path schema holding a one-part name wins). May be empty.
  std::function<bool(const std::string& source, const std::string& schema,
                     const std::string& relation)>
    exists;
};

/// A relation name resolved to its source, schema and relation.
struct resolved_name {
  std::string source;
  std::string schema;
  std::string relation;
  /// False for db.schema.relation whose db is neither the statement's
  /// database nor a source: it stays in the statement's source, listed as
  /// unresolved.
  bool resolved = true;
};

/// Resolves a name as the SQL analysis gives it ("relation",
/// "schema.relation" or "db.schema.relation").
resolved_name resolve_name(const name_context& ctx, const std::string& qualified);

/// The catalog URN of a resolved name (kind view when `is_view`): the one
/// function lineage, the query store and the catalog lookups use.
std::string table_urn(const resolved_name& name, bool is_view = false);

/// resolve_name, then its URN.
std::string table_urn(const name_context& ctx, const std::string& qualified,
                      bool is_view = false);

/// A search_path setting ("\"$user\", public") as schema names: unquoted
/// names folded to lower case, quoted ones kept; empty entries dropped.
std::vector<std::string> parse_search_path(const std::string& text);

/// The database a PostgreSQL connection string names (dbname=..., or the
/// path of a postgresql:// URI); "" if none.
std::string dsn_database(const std::string& dsn);

/// The URN of a column of a table or view URN; empty if `table_urn` is not
/// a URN (an empty one: a dataset without a URN) or `column` is empty.
std::string column_urn(const std::string& table_urn, const std::string& column);

/// The catalog URN of an OpenLineage dataset {"namespace", "name"}: a name
/// "db.schema.table" maps to source db; otherwise the namespace is the source
/// and the name the (schema-qualified) table.
std::string dataset_urn(const nlohmann::json& dataset);

/// Big-endian bytes of `x` (keys sort by number).
std::string be64(uint64_t x);

/// A stable id for a query execution (source, user, start, SQL, origin):
/// ingesting the same log twice yields the same ids.
std::string execution_id(const nlohmann::json& q);

} // namespace almanac::lineage
