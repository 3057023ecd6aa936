#pragma once

// What an analysis_cache in front of observe_query would give. observe_query
// (actors/lineage/store/query_ingest.cpp) calls analyze() for every entry and
// takes no cache; this is the same function with the analysis taken from an
// analysis_cache instead, for entries without a catalog (no `*` expansion, no
// view resolution: as in the benchmark). The payload is the same as
// observe_query's except "normalized", which on a hit is that of the first
// statement with the fingerprint (analysis_cache's contract).

#include "actors/lineage/sql/analysis_cache.hpp"
#include "messages/events.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace ingest_bench {

almanac::event_input observe_query_cached(const nlohmann::json& entry, const std::string& origin,
                                          almanac::lineage::analysis_cache& cache);

} // namespace ingest_bench
