#pragma once

// Inside the lineage store (lineage_store.cpp and the files of its three
// stores): the write batch every event is applied through, the key helpers,
// and one apply function per event type, each in its store's file:
//   query_store.cpp    QueryObserved (queries, executions, usage, lineage),
//                      EntityViewed (popularity)
//   lineage_graph.cpp  view definitions (EntityRegistered/EntityEdited), the
//                      edges, the graph in memory and its traversal
//   run_store.cpp      LineageObserved (OpenLineage runs and their edges)

#include "actors/lineage/sql/sql_analysis.hpp"
#include "messages/event_types.hpp"
#include "messages/events.hpp"
#include "messages/popularity.hpp"
#include "storage/state/rocks_store.hpp"

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace almanac::lineage::store_detail {

using nlohmann::json;

inline const char sep = '\0';

inline std::string key2(const std::string& prefix, const std::string& a, const std::string& b) {
  return prefix + a + std::string(1, sep) + b;
}

inline bool is_column(const std::string& urn) {
  return urn.rfind("urn:almanac:column:", 0) == 0;
}

/// The kind part of a URN ("table" of urn:almanac:table:...).
inline std::string kind_of(const std::string& urn) {
  auto a = urn.find(':', 4);
  auto b = urn.find(':', a + 1);
  return a == std::string::npos || b == std::string::npos ? "" : urn.substr(a + 1, b - a - 1);
}

/// Reads through the writes of one batch; remembers what the current event
/// wrote, to undo a bad event.
struct batch {
  const storage::rocks_store& store;
  std::map<std::string, std::string> pending;

  std::optional<std::string> get(const std::string& k) {
    auto i = pending.find(k);
    if (i != pending.end())
      return i->second;
    auto v = store.get(k);
    if (!v || !*v)
      return std::nullopt;
    return **v;
  }

  nlohmann::json get_json(const std::string& k) {
    auto v = get(k);
    if (!v)
      return nullptr;
    auto j = json::parse(*v, nullptr, false);
    return j.is_discarded() ? json(nullptr) : j;
  }

  /// Old values of the keys the current event wrote (to undo a bad event).
  std::map<std::string, std::optional<std::string>> undo;

  void put(const std::string& k, std::string v) {
    if (!undo.count(k)) {
      auto i = pending.find(k);
      undo[k] = i == pending.end() ? std::nullopt : std::optional<std::string>{i->second};
    }
    pending[k] = std::move(v);
  }

  void rollback_event() {
    for (auto& [k, old] : undo) {
      if (old)
        pending[k] = *old;
      else
        pending.erase(k);
    }
    undo.clear();
  }
};


// -- the query store (query_store.cpp) ----------------------------------------

/// Adds `n` uses by `user` at `ms` to the decayed popularity of `urn`.
void bump(batch& bs, double half_life_ms, const std::string& urn, const std::string& user,
          int64_t ms, uint64_t n);

/// A query: the query store, its executions, usage and its lineage edges.
void apply_query(batch& bs, double half_life_ms, const ev::query_observed& q,
                 const event_record& r);

/// Keeps the score of a stored p/<urn> value in `scores`.
void remember_score(std::unordered_map<std::string, popularity::decayed_uses>& scores,
                    const std::string& key, const std::string& value);

// -- the lineage graph (lineage_graph.cpp) ------------------------------------

/// Adds one piece of evidence (`kind`, `id`) to the edge from -> to.
void add_edge(batch& bs, const std::string& from, const std::string& to,
              const std::string& kind, const std::string& id, int64_t ms);

/// A view's definition, analysed before the store's lock is taken.
struct view_definition {
  std::string urn;
  std::vector<std::string> names; ///< source, schema, view
  analysis parsed;
};

/// The view definition an entity event carries, if it is one.
std::optional<view_definition> view_of(const std::string& urn, const json& attributes);

/// A view's definition becomes lineage (from what it reads to the view).
void apply_view(batch& bs, const view_definition& v, int64_t ms);

// -- OpenLineage runs (run_store.cpp) -----------------------------------------

/// An OpenLineage run event: its edges and the merged run.
void apply_run(batch& bs, const ev::lineage_observed& l, const json& raw,
               const event_record& r);

} // namespace almanac::lineage::store_detail
