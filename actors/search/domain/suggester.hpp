#pragma once

// Prefix autocomplete over entity names and titles, in memory.
//
// Keys are normalized (lowercase words concatenated): the whole name, the
// name from each later word on ("actor_info" also under "info"), and the
// same for the title. A prefix is normalized the same way and looked up by
// binary search in an ordered set; at most `scan_limit` keys of the range
// are ranked: exact match first, then whole-name before later-word matches,
// then popularity (looked up for the candidates: the one decayed
// popularity, see messages/popularity.hpp), then tables/views before other
// kinds, then shorter names. Updates are O(keys log n).
//
// Not thread-safe: the owner (search_index) guards it.

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace almanac::search {

class packer;   // domain/pack.hpp
class unpacker;

/// One suggestion.
struct suggestion {
  std::string urn;
  std::string name;
  std::string kind;
  std::string title;
};

class suggester {
public:
  suggester();
  suggester(suggester&&) noexcept = default;
  suggester& operator=(suggester&&) noexcept = default;
  suggester(const suggester&) = delete;
  suggester& operator=(const suggester&) = delete;

  /// Adds or replaces the entity `urn`.
  void upsert(const std::string& urn, const std::string& name, const std::string& kind,
              const std::string& title);
  /// Removes `urn` (no-op if absent).
  void remove(const std::string& urn);
  /// Up to `limit` suggestions for `prefix`.
  /// `popularity` gives the candidates' popularity (none: all 0).
  std::vector<suggestion> suggest(
    const std::string& prefix, size_t limit,
    const std::function<std::vector<double>(const std::vector<std::string>&)>& popularity = {},
    size_t scan_limit = 4096) const;
  /// The number of entities.
  size_t size() const { return by_urn_.size(); }

  /// Everything, for the index's memory snapshot, and its restore (false:
  /// malformed; the suggester is then empty). Restoring is linear: the keys
  /// come in their order.
  void snapshot(packer& out) const;
  bool restore(unpacker& in);

private:
  bool restore_failed();
  struct item {
    std::string urn, name, kind, title;
    std::vector<std::string> keys;
    bool live = false;
  };
  using key_entry = std::pair<std::string, uint32_t>; ///< (key, item index)
  /// Keys in order, then the entities' URNs: which entities of a shared key
  /// a suggestion looks at does not depend on the order they came in (nor
  /// on reused item indexes), so a restarted index suggests the same.
  struct key_order {
    using is_transparent = void;
    const std::vector<item>* items;
    bool operator()(const key_entry& a, const key_entry& b) const {
      if (int c = a.first.compare(b.first)) return c < 0;
      return (*items)[a.second].urn < (*items)[b.second].urn;
    }
    bool operator()(const key_entry& a, const std::string& k) const { return a.first < k; }
    bool operator()(const std::string& k, const key_entry& b) const { return k < b.first; }
  };
  /// On the heap: key_order points at it, and a move keeps it in place.
  std::unique_ptr<std::vector<item>> items_;
  std::vector<uint32_t> free_;
  std::unordered_map<std::string, uint32_t> by_urn_;
  std::set<key_entry, key_order> keys_;
};

} // namespace almanac::search
