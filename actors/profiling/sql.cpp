#include "actors/profiling/sql.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace almanac::profiling {

namespace {

/// `text` between `quote`s, each `quote` inside doubled.
std::string enclose(std::string_view text, char quote) {
  std::string out(1, quote);
  for (auto c : text) {
    out += c;
    if (c == quote)
      out += quote;
  }
  out += quote;
  return out;
}

} // namespace

std::string quote_identifier(std::string_view name) {
  return enclose(name, '"');
}

std::string qualified_name(std::string_view schema, std::string_view table) {
  if (schema.empty())
    return quote_identifier(table);
  return quote_identifier(schema) + "." + quote_identifier(table);
}

std::string sql_literal(const nlohmann::json& value) {
  if (value.is_null())
    return "NULL";
  if (value.is_boolean())
    return value.get<bool>() ? "TRUE" : "FALSE";
  if (value.is_number())
    return value.dump();
  return enclose(value.is_string() ? value.get<std::string>() : value.dump(), '\'');
}

std::string select_list(const std::vector<std::string>& columns) {
  if (columns.empty())
    return "*";
  std::string out;
  for (const auto& c : columns) {
    if (!out.empty())
      out += ", ";
    out += quote_identifier(c);
  }
  return out;
}

std::string count_sql(const std::string& from) {
  return "SELECT count(*) FROM " + from;
}

std::string sample_sql(sql_dialect dialect, const std::string& select,
                       const std::string& from, uint64_t n, uint64_t row_count) {
  if (dialect != sql_dialect::postgresql)
    return "SELECT " + select + " FROM " + from + " ORDER BY random() LIMIT "
           + std::to_string(n);
  const std::string row = "\"almanac$row\"";
  auto sql = "SELECT " + select + " FROM " + from + " AS " + row;
  // Expect n + 6 sqrt(n) + 50 rows: a binomial count falls below n with
  // probability far under one in a million.
  auto wanted = static_cast<double>(n) + 6.0 * std::sqrt(static_cast<double>(n)) + 50.0;
  auto percent = row_count > 0 ? 100.0 * wanted / static_cast<double>(row_count) : 100.0;
  if (percent < 50.0) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6f", percent);
    sql += std::string{" TABLESAMPLE BERNOULLI ("} + buf + ") REPEATABLE (14)";
  }
  return sql + " ORDER BY md5(" + row + "::text) LIMIT " + std::to_string(n);
}

std::string keyset_page_sql(const std::string& select, const std::string& from,
                            const std::vector<std::string>& keys,
                            const std::vector<nlohmann::json>& last,
                            uint64_t limit) {
  std::string key_list;
  for (const auto& k : keys) {
    if (!key_list.empty())
      key_list += ", ";
    key_list += k;
  }
  auto sql = "SELECT " + select + ", " + key_list + " FROM " + from;
  if (!last.empty()) {
    std::string values;
    for (const auto& v : last) {
      if (!values.empty())
        values += ", ";
      values += sql_literal(v);
    }
    if (keys.size() == 1)
      sql += " WHERE " + key_list + " > " + values;
    else
      sql += " WHERE (" + key_list + ") > (" + values + ")";
  }
  return sql + " ORDER BY " + key_list + " LIMIT " + std::to_string(limit);
}

std::string offset_page_sql(const std::string& select, const std::string& from,
                            size_t ordered_columns, uint64_t offset, uint64_t limit) {
  auto sql = "SELECT " + select + " FROM " + from;
  for (size_t i = 1; i <= ordered_columns; ++i)
    sql += (i == 1 ? " ORDER BY " : ", ") + std::to_string(i);
  sql += " LIMIT " + std::to_string(limit);
  if (offset > 0)
    sql += " OFFSET " + std::to_string(offset);
  return sql;
}

} // namespace almanac::profiling
