#pragma once

// search_bench's generated catalog and query mix (deterministic for a seed).
//
// Catalog: sources (about one per 40,000 entities, 4 to 40) with 3 to 12
// schemas each, tables and views (about 8% views) spread over the schemas
// unevenly, 2 to 80 columns per table (about 12 on average), so that about
// 92% of the entities are columns, 7.5% tables and views. Names come from
// identifier vocabularies (customer/cust, order/ord, invoice/inv, amount/amt,
// address/addr, ...): snake_case in most sources, PascalCase tables with
// camelCase columns in SQL-Server-like ones, with warehouse prefixes and
// suffixes (dim_, fact_, stg_, _hist, _daily, ...). Descriptions are
// generated sentences (most tables, about 40% of columns), a few titles,
// tags (pii on personal columns, finance, gold, ...), about 3% of tables
// endorsed and 2% deprecated.
//
// Query mix: single words, multi-word, prefix (`cust*`, `customer add*`) and
// filtered (by kind, source or tag) queries over the same vocabulary, and
// suggest prefixes as typed (c, cu, cus, ...).

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace search_bench {

/// One generated entity, flat (the catalog's JSON shape via to_json()).
struct gen_entity {
  std::string urn, kind, name, parent, title, description;
  std::string source, schema; ///< location, for PostgreSQL's filter columns
  std::vector<std::string> tags;
  bool endorsed = false, deprecated = false;
  std::string data_type; ///< columns
  int ordinal = 0;       ///< columns

  /// {"urn","kind","name","parent","title","description","tags","stewards",
  ///  "terms","deprecated","endorsed","attributes","version"}
  nlohmann::json to_json() const;
};

/// `n` entities: sources, then each source's schemas, then tables/views each
/// followed by its columns (parents always before children).
std::vector<gen_entity> generate_catalog(size_t n, uint64_t seed = 42);

/// One query of the fixed mix.
struct bench_query {
  std::string category; ///< "single", "multi", "prefix", "filtered"
  std::string text;     ///< as typed (prefix queries end with '*')
  std::vector<std::string> kinds, sources, tags; ///< filters (any of)
};

/// About `per_category` queries of each category; `sources` are the
/// catalog's source names (for source filters).
std::vector<bench_query> query_mix(const std::vector<std::string>& sources,
                                   size_t per_category = 75, uint64_t seed = 7);

/// Suggest prefixes as typed, 1 to 10 characters (about `count`).
std::vector<std::string> suggest_prefixes(size_t count = 200, uint64_t seed = 11);

} // namespace search_bench
