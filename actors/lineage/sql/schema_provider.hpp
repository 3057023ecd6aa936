#pragma once

// Where the SQL analysis learns the columns of a table: the catalog when it
// knows them, nothing otherwise. With columns known, `*` expands to real
// columns and an unqualified column in a join resolves to its table.

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace almanac::lineage {

/// Columns of tables by qualified name ("schema.table", as the analysis
/// names them: unquoted identifiers in lower case).
class schema_provider {
public:
  virtual ~schema_provider() = default;

  /// The columns of `qualified_table` in table order, or nullopt if unknown.
  virtual std::optional<std::vector<std::string>>
  columns(const std::string& qualified_table) const = 0;
};

/// A schema_provider over a map, for tests and callers that hold the
/// columns already.
class map_schema_provider : public schema_provider {
public:
  map_schema_provider() = default;
  explicit map_schema_provider(std::map<std::string, std::vector<std::string>> tables)
    : tables_(std::move(tables)) {}

  /// Adds or replaces the columns of a table.
  void add(const std::string& qualified_table, std::vector<std::string> columns) {
    tables_[qualified_table] = std::move(columns);
  }

  std::optional<std::vector<std::string>>
  columns(const std::string& qualified_table) const override {
    auto i = tables_.find(qualified_table);
    if (i == tables_.end())
      return std::nullopt;
    return i->second;
  }

private:
  std::map<std::string, std::vector<std::string>> tables_;
};

} // namespace almanac::lineage
