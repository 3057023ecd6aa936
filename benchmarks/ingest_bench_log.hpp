#pragma once

// ingest_bench's generated query log: a schema of `tables` tables in five
// schemas (8-20 columns each, foreign keys "<other>_id" to 1-3 other tables),
// a set of statement shapes over it, and a log drawing shapes with a Zipf
// distribution (a few statements run very often, most rarely) and filling in
// fresh constants each time, so fingerprints repeat the way they do in a real
// log while the texts differ.
//
// Shapes (by share of shapes drawn): SELECT with 1-3 joins, grouping or
// filters, some with a CTE or a subquery (~60%); single-table SELECT
// (~14%); INSERT ... SELECT (~12%); UPDATE ... FROM (~6%); plain UPDATE or
// DELETE (~4%); CREATE TABLE AS (~4%, some with a dated target name, so a
// new fingerprint each day). About `bad_share` of the lines do not parse
// (truncated statements, misspelled keywords, psql meta-commands, stray
// text), each with its own text.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace ingest_bench {

struct log_options {
  size_t queries = 100000;
  size_t tables = 200;
  size_t shapes = 2000;     ///< distinct statement shapes
  double zipf_s = 1.0;      ///< skew of shape frequencies
  double bad_share = 0.03;  ///< lines that do not parse
  uint64_t seed = 42;
};

struct query_log {
  /// One entry per line, as observe_query takes them: {"sql", "user",
  /// "database", "source", "start_time", "start_ms", "duration_ms"}.
  std::vector<nlohmann::json> entries;
  std::vector<std::string> sql; ///< entries[i]["sql"]
  size_t bad = 0;               ///< lines made unparsable
  std::vector<size_t> kind_counts; ///< lines per shape kind (see kind_names)
  static const std::vector<std::string>& kind_names();
};

query_log generate(const log_options& opt);

} // namespace ingest_bench
