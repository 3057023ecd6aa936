// observe_query with an analysis_cache in front (see ingest_bench_cached.hpp).

#include "ingest_bench_cached.hpp"

#include "actors/lineage/store/query_ingest.hpp"

namespace ingest_bench {

almanac::event_input observe_query_cached(const nlohmann::json& entry, const std::string& origin,
                                          almanac::lineage::analysis_cache& cache) {
  auto a = cache.analyze(entry.value("sql", std::string{}));
  return almanac::lineage::observe_query(entry, origin, nullptr, &a);
}

} // namespace ingest_bench
