#pragma once

// A bounded cache of analyses for query-log ingestion: logs repeat the same
// statements with other constants, and such statements read, write and
// derive exactly the same tables and columns.
//
// The key is the statement's token shape (shape_key): its text as
// PostgreSQL's scanner splits it, with unquoted words in lower case, runs of
// white space and comments reduced to their kind, and plain numeric and
// string constants replaced by a mark. Two texts with one key are the same
// statement but for those constants, so a hit costs one pass over the text
// instead of parse + walk + fingerprint + normalize. Constants that can
// change a statement's meaning, its fingerprint or whether it parses stay
// in the key as written: E'', B'', U&'' strings and dollar quotes, integers
// beyond 9 digits, and every constant of a text that is not DML (SELECT,
// INSERT, UPDATE, DELETE, MERGE, WITH, VALUES, TABLE), names COPY,
// IDENTIFIER, UESCAPE or float(p), or holds a backslash. A text with a NUL
// or a character PostgreSQL's scanner rejects has no key.
//
// The analysis also depends on the columns the schema_provider gave for each
// table the walk asked about: an entry keeps those answers, and a hit asks
// again and analyses afresh if any changed (a table altered in the catalog).

#include "actors/lineage/sql/sql_analysis.hpp"

#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>

namespace almanac::lineage {

/// The token shape of `sql` (see above); texts with equal shapes analyse
/// alike. nullopt when the text cannot be split safely (an unterminated
/// quote or comment).
std::optional<std::string> shape_key(const std::string& sql);

/// Analyses of single-statement texts, least recently used evicted first.
/// Thread-safe: one per node may serve every ingesting thread.
class analysis_cache {
public:
  /// Caches up to `capacity` analyses; analyze(sql) uses `schemas` (may be
  /// null; it must outlive the cache) and `default_schema`.
  explicit analysis_cache(size_t capacity = 10000, const schema_provider* schemas = nullptr,
                          std::string default_schema = "public");

  /// analyze(sql, schemas, default_schema), shared with other callers: from
  /// the cache when a statement of the same shape was analysed with the
  /// same answers from `schemas`. Then `text` and `normalized` are those of
  /// the first statement seen (the same up to constants and white space).
  std::shared_ptr<const analysis> lookup(const std::string& sql, const schema_provider* schemas,
                                         const std::string& default_schema);

  /// lookup(sql) with the constructor's schemas, as a copy whose `text` is
  /// `sql`.
  analysis analyze(const std::string& sql);

  /// Forgets every analysis.
  void clear();

  size_t size() const;
  size_t hits() const;
  size_t misses() const;

private:
  /// The columns the walk asked for, and the answers.
  using lookups = std::vector<std::pair<std::string, std::optional<std::vector<std::string>>>>;
  struct value {
    std::shared_ptr<const analysis> result;
    lookups asked;
  };
  using entry = std::pair<std::string, value>;

  size_t capacity_;
  const schema_provider* schemas_;
  std::string default_schema_;
  mutable std::mutex mtx_;
  std::list<entry> lru_; ///< most recent first
  std::unordered_map<std::string, std::list<entry>::iterator> index_;
  size_t hits_ = 0;
  size_t misses_ = 0;
};

} // namespace almanac::lineage
