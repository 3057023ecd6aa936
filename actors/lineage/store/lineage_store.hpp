#pragma once

// The query store (the KVStore of queries), the lineage graph and popularity,
// as one projection of the log in one RocksDB store (so they share one
// checkpoint):
//
//   q/<fingerprint>              the query: normalized text, kind, count,
//                                users, first/last seen, durations, tables
//   x/<execution id>             "" — executions already counted (idempotent)
//   e/<fingerprint>\0<start ms>\0<execution id>   one execution
//   t/<table or column urn>\0<fingerprint>         "" — queries touching it
//   d/<from>\0<to>               an edge (evidence, first/last seen, count)
//   u/<to>\0<from>               "" — the reverse adjacency
//   p/<urn>                      popularity: decayed score, count, users
//                                (see messages/popularity.hpp; its scores
//                                are also in memory, for search)
//   k/<view urn>                 "" — a view known from its definition
//   r/<run id>                   an OpenLineage run merged over its events
//
// Consumes QueryObserved (queries, their lineage, table and column usage),
// EntityRegistered/EntityEdited (view definitions become lineage),
// EntityViewed (usage) and LineageObserved (OpenLineage inputs/outputs and
// the columnLineage facet). Edges point from source to derived data.

#include "messages/popularity.hpp"
#include "runtime/projection.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace almanac::storage {
class rocks_store;
} // namespace almanac::storage

namespace almanac::lineage {

/// How a traversal is bounded.
struct traversal_limits {
  std::string direction = "both"; ///< upstream, downstream or both
  uint64_t depth = 3;
  std::string level = "table";    ///< table or column
  size_t fan_out = 1000;          ///< edges followed per node at most
  size_t max_nodes = 10000;
  std::chrono::milliseconds deadline{2000};
  /// Each edge's evidence and count from the store; without, edges are
  /// {"from","to"} only (the walk alone: a graph to draw).
  bool evidence = true;
};

/// The projection and its reads (thread-safe).
class lineage_store : public runtime::projection {
public:
  lineage_store(std::string dir, double half_life_days);
  ~lineage_store() override;

  std::vector<std::string> consumes() const override;
  caf::expected<uint64_t> open() override;
  caf::error apply(const std::vector<event_record>& events, uint64_t next) override;
  caf::error reset() override;
  std::string status() const override;
  caf::expected<std::string> digest() const override;

  /// The query with this fingerprint: {"fingerprint","normalized","kind",
  /// "count","users","first_seen","last_seen","total_duration_ms",
  /// "mean_duration_ms","tables_read","tables_written","parse_error",
  /// "sql" (a sample), "executions": [...] (latest first, at most 20)}.
  caf::expected<std::optional<nlohmann::json>> query(const std::string& fp) const;

  /// Queries touching a table or column URN, most executed first.
  caf::expected<nlohmann::json> queries_for(const std::string& urn, size_t limit) const;

  /// {"root","nodes":[{"urn","kind"}],"edges":[{"from","to","evidence"}],"truncated"}.
  caf::expected<nlohmann::json> traverse(const std::string& root,
                                         const traversal_limits& limits) const;

  /// traverse() as the JSON text the API sends (what dump() would write).
  caf::expected<std::string> traverse_text(const std::string& root,
                                           const traversal_limits& limits) const;

  /// An OpenLineage run merged over its events (any order): {"runId", "job",
  /// "state" (of the latest eventTime), "events", "first_event",
  /// "last_event", "inputs", "outputs" (with URNs), "facets"}.
  caf::expected<std::optional<nlohmann::json>> run(const std::string& run_id) const;

  /// {"score","count","users","last_seen"} or nullopt if never used.
  caf::expected<std::optional<nlohmann::json>> popularity(const std::string& urn) const;

  /// The decayed popularity of each of `urns` now (0 if never used), from
  /// memory: what search ranks and suggests with (one popularity).
  std::vector<double> popularity_scores(const std::vector<std::string>& urns) const;

  uint64_t checkpoint() const;

private:
  /// The lineage graph's shape in memory (adjacency by node id), kept in
  /// step with the d/ keys: a traversal walks memory only, then reads the
  /// evidence of the edges it returns from RocksDB. (Holding each edge's
  /// JSON here made the node grow by ~350 bytes per edge.)
  struct graph {
    struct edge {
      uint32_t from;
      uint32_t to;
    };
    std::unordered_map<std::string, uint32_t> ids;
    std::vector<std::string> names;
    std::vector<char> column;               ///< Node is a column (by id).
    std::vector<std::vector<uint32_t>> out; ///< Edge ids by source node.
    std::vector<std::vector<uint32_t>> in;  ///< Edge ids by target node.
    std::vector<edge> edges;
    std::unordered_map<uint64_t, uint32_t> by_ends;

    uint32_t id(const std::string& urn);
    void upsert(const std::string& from, const std::string& to);
    void clear();
  };

  std::string dir_;
  double half_life_ms_;
  mutable std::shared_mutex mtx_;
  std::unique_ptr<storage::rocks_store> store_;
  uint64_t checkpoint_ = 0;
  graph graph_;
  /// The decayed uses of every used URN, kept in step with the p/ keys.
  std::unordered_map<std::string, popularity::decayed_uses> scores_;
  uint64_t skipped_ = 0;
  std::string last_skip_;
};

} // namespace almanac::lineage
