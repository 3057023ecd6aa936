#pragma once

// What an OpenLineage run event says, as plain functions (no actors, no
// store): validation at the edge, the datasets and column lineage it names,
// and the run that its events merge into. POST /api/v1/lineage validates;
// the lineage store reads and merges LineageObserved events.

#include <caf/error.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace almanac::lineage {

/// Validates an OpenLineage run event; the error names the field.
caf::error validate_openlineage(const nlohmann::json& event);

/// The lineage one run event states.
struct openlineage_lineage {
  /// Dataset URNs of "inputs" and "outputs", in event order (see
  /// dataset_urn; empty for a dataset whose name makes no URN).
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  /// Column edges {from, to} (column URNs) of the outputs' columnLineage
  /// facets.
  std::vector<std::pair<std::string, std::string>> column_edges;
};

/// Reads the datasets and the columnLineage facets of `event`. Throws
/// nlohmann::json::exception on an event of the wrong shape (the store
/// skips such an event).
openlineage_lineage read_openlineage(const nlohmann::json& event);

/// Merges `event`, which happened at `ms`, into the stored run `merged`
/// (null for the run's first event): events arrive in any order, the latest
/// eventTime decides the state, datasets accumulate, later run facets win.
/// Throws nlohmann::json::exception as read_openlineage.
nlohmann::json merge_run(nlohmann::json merged, const nlohmann::json& event, int64_t ms);

} // namespace almanac::lineage
