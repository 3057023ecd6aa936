// OpenLineage runs: each run merged over its events (r/ keys), and the
// lineage its inputs, outputs and columnLineage facets name.

#include "actors/lineage/store/lineage_store.hpp"

#include "actors/lineage/domain/openlineage.hpp"
#include "actors/lineage/store/store_batch.hpp"
#include "messages/time.hpp"

#include <mutex>

namespace almanac::lineage {

using namespace store_detail;
using nlohmann::json;

namespace store_detail {

void apply_run(batch& bs, const ev::lineage_observed& l, const json& raw,
               const event_record& r) {
  auto& run = l.run.runId;
  auto ms = r.timestamp_ms;
  if (auto t = parse_iso_time(l.eventTime))
    ms = *t;
  auto lineage = read_openlineage(raw);
  for (auto& [from, to] : lineage.column_edges)
    load_edge(bs, from, to);
  for (auto& i : lineage.inputs)
    for (auto& o : lineage.outputs)
      load_edge(bs, i, o);
  auto rk = "r/" + run;
  auto merged = merge_run(bs.get_json(rk), raw, ms).dump(-1, ' ', false,
                                                         json::error_handler_t::replace);
  for (auto& [from, to] : lineage.column_edges)
    add_edge(bs, from, to, "openlineage", run, ms);
  for (auto& i : lineage.inputs)
    for (auto& o : lineage.outputs)
      add_edge(bs, i, o, "openlineage", run, ms);
  bs.put(rk, std::move(merged));
}

} // namespace store_detail

caf::expected<std::optional<json>> lineage_store::run(const std::string& run_id) const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  auto v = store_->get("r/" + run_id);
  if (!v)
    return v.error();
  if (!*v)
    return std::optional<json>{};
  auto r = json::parse(**v);
  r["first_event"] = iso_time(r["first_event_ms"].get<int64_t>());
  r["last_event"] = iso_time(r["last_event_ms"].get<int64_t>());
  return std::optional<json>{r};
}

} // namespace almanac::lineage
