#pragma once

// search_bench's PostgreSQL full-text search baseline: the generated
// entities in one table with a stored, weighted tsvector
//   A: name (identifiers split: customer_order_id / CustomerOrderId ->
//      "customer order id"), B: title and tags, C: description
// ('english' configuration), a GIN index on it, btree indexes on kind and
// source and a GIN index on tags; queries with websearch_to_tsquery (or
// to_tsquery with `:*` on the last word for prefix queries), ts_rank
// ordering, LIMIT 20 and the filters as WHERE clauses.

#include "search_bench_gen.hpp"

#include <memory>
#include <string>
#include <vector>

namespace search_bench {

class pg_fts {
public:
  /// Connects to `dsn` (libpq connection string). Throws on failure.
  explicit pg_fts(const std::string& dsn);
  ~pg_fts();

  struct load_times {
    double copy_s = 0;    ///< CREATE TABLE + COPY (the tsvector computed on insert)
    double index_s = 0;   ///< GIN and btree indexes
    double analyze_s = 0; ///< VACUUM ANALYZE
    double total() const { return copy_s + index_s + analyze_s; }
  };

  /// (Re)creates the table and loads `entities` (COPY via pqxx::stream_to).
  load_times load(const std::vector<gen_entity>& entities);

  /// The SQL of `q` (for printing).
  std::string sql(const bench_query& q) const;

  /// Runs `q`; returns the number of rows (<= 20).
  size_t run(const bench_query& q);

  /// Table plus index size in bytes.
  uint64_t size_bytes();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace search_bench
