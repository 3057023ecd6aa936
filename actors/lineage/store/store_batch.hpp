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
#include <stdexcept>
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
///
/// Values that events update again and again (a query's totals, a table's
/// popularity, an edge's evidence: q/, p/, d/) are documents: decoded once
/// per batch, changed in memory, encoded once when the batch is written
/// (flush_docs). An event first loads every document it will change
/// (`doc`, which checks its shape and throws on a bad one before anything
/// changed), then changes them without throwing; `doc_changed` marks that it
/// did, so an exception after that point cannot be undone and stops the batch.
struct batch {
  explicit batch(const storage::rocks_store& s) : store(s) {}

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

  /// Checks the shape of a stored document.
  using doc_shape = bool (*)(const json&);

  /// The document at `k`, decoded once per batch (null if absent). Throws
  /// if the stored value is not JSON of `shape`.
  json& doc(const std::string& k, doc_shape shape) {
    auto i = docs.find(k);
    if (i != docs.end())
      return i->second;
    json j = nullptr;
    if (auto v = get(k)) {
      j = json::parse(*v, nullptr, false);
      if (j.is_discarded() || !shape(j))
        throw std::runtime_error("the stored value of " + printable(k) + " is malformed");
    }
    return docs.emplace(k, std::move(j)).first->second;
  }

  /// Marks that the current event changed a document.
  void changed() { doc_changed = true; }

  /// Encodes every document into the pending writes.
  void flush_docs() {
    for (auto& [k, j] : docs)
      if (!j.is_null())
        pending[k] = j.dump(-1, ' ', false, json::error_handler_t::replace);
  }

  /// Decoded documents of this batch.
  std::unordered_map<std::string, json> docs;
  /// The current event changed a document (cannot be undone).
  bool doc_changed = false;

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

  /// A key for a message: its separators shown as '|'.
  static std::string printable(std::string k) {
    for (auto& c : k)
      if (c == sep)
        c = '|';
    return k;
  }
};

/// Shapes of the documents, each defined beside its store.
bool usage_shape(const json& j); ///< p/<urn>
bool query_shape(const json& j); ///< q/<fingerprint>
bool edge_shape(const json& j);  ///< d/<from>\0<to>

/// Loads the edge document from -> to (checks its shape; changes nothing).
void load_edge(batch& bs, const std::string& from, const std::string& to);

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
