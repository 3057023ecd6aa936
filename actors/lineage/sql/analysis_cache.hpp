#pragma once

// A bounded cache of analyses by fingerprint (plus the identifiers holding
// digits, which the fingerprint ignores), for query-log ingestion: logs
// repeat the same statements with other constants, and such statements read,
// write and derive exactly the same tables and columns. A hit costs one
// pg_query_fingerprint instead of parse + JSON + walk + normalize (about 6x
// the parse alone).

#include "actors/lineage/sql/sql_analysis.hpp"

#include <list>
#include <unordered_map>

namespace almanac::lineage {

/// Analyses of single-statement texts, least recently used evicted first.
/// Not thread-safe: one per ingesting actor.
class analysis_cache {
public:
  /// Caches up to `capacity` analyses made with `schemas` (may be null; it
  /// must outlive the cache) and `default_schema`.
  explicit analysis_cache(size_t capacity = 10000, const schema_provider* schemas = nullptr,
                          std::string default_schema = "public");

  /// analyze(sql, schemas, default_schema), from the cache when a statement
  /// with the same fingerprint was analyzed before. Then `text` is `sql` but
  /// `normalized` is that of the first statement seen (the same up to
  /// constants, whitespace and the length of IN lists).
  analysis analyze(const std::string& sql);

  /// Forgets every analysis (after the catalog's columns changed).
  void clear();

  size_t size() const { return index_.size(); }
  size_t hits() const { return hits_; }
  size_t misses() const { return misses_; }

private:
  using entry = std::pair<std::string, analysis>;

  size_t capacity_;
  const schema_provider* schemas_;
  std::string default_schema_;
  std::list<entry> lru_; ///< most recent first
  std::unordered_map<std::string, std::list<entry>::iterator> index_;
  size_t hits_ = 0;
  size_t misses_ = 0;
};

} // namespace almanac::lineage
