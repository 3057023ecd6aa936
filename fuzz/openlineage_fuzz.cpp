// Fuzzes the OpenLineage run event path (actors/lineage/domain/openlineage.hpp)
// with arbitrary JSON text: parse_json_guarded (as the router does for POST
// /api/v1/lineage), validate_openlineage, then what the lineage store does
// with a LineageObserved event: read_openlineage (datasets, columnLineage
// facets) and merge_run (twice, out of order).
// Checks: validation never throws; an event that validation accepts is
// read and merged without an exception (the store would skip it, losing
// its lineage), names only URNs that parse, and merges into a run whose
// JSON dumps; for any other event only nlohmann::json exceptions may come
// out of the store's functions (it catches those).

#include "fuzz/fuzz_check.hpp"
#include "messages/urn.hpp"
#include "actors/lineage/domain/openlineage.hpp"
#include "messages/json_guard.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

using namespace almanac;
using namespace almanac::lineage;
using json = nlohmann::json;

namespace {

void check_urn(const std::string& urn) {
  FUZZ_CHECK(urn.empty() || static_cast<bool>(catalog::parse_urn(urn)));
}

void store_path(const json& e, bool valid) {
  try {
    auto lineage = read_openlineage(e);
    auto merged = merge_run(nullptr, e, 1714566896000);
    merged = merge_run(std::move(merged), e, 1714566895000);
    FUZZ_CHECK(merged.value("events", 0) == 2);
    FUZZ_CHECK(!merged.dump().empty());
    if (valid) {
      for (auto& u : lineage.inputs)
        check_urn(u);
      for (auto& u : lineage.outputs)
        check_urn(u);
      for (auto& [from, to] : lineage.column_edges) {
        check_urn(from);
        check_urn(to);
      }
    }
  } catch (const json::exception&) {
    FUZZ_CHECK(!valid);
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto e = parse_json_guarded(text, "the request body");
  if (!e)
    return 0;
  auto err = validate_openlineage(*e);
  store_path(*e, !err);
  return 0;
}
