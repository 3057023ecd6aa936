#pragma once

// The search index as a projection of the log. Entity events keep the Xapian
// index in step; LexiconEdited events are stewards' lexicon entries. The
// checkpoint is committed with the index (one Xapian commit). Popularity is
// not projected here: searches rank with the lineage store's decayed
// popularity (popularity(), one definition for the node).
//
// Rebuild builds a new index beside the live one (a new generation
// directory) and swaps atomically once it has caught up, so search never
// goes dark: until then every search reads the old index.
//
// LexiconEdited@1 {"user", "abbreviation", "expansion"} ("" clears it)

#include "actors/search/search_index.hpp"
#include "runtime/projection.hpp"

#include <memory>
#include <mutex>
#include <string>

namespace almanac::search {

/// The search projection; its readers use live().
class search_projection : public runtime::projection {
public:
  /// `popularity` is what searches and suggestions rank with.
  explicit search_projection(std::string dir, popularity_lookup popularity = {});

  std::vector<std::string> consumes() const override;
  caf::expected<uint64_t> open() override;
  caf::error apply(const std::vector<event_record>& events, uint64_t next) override;
  caf::error reset() override;
  std::string status() const override;
  caf::expected<std::string> digest() const override;

  /// The index searches read (never null after open()).
  std::shared_ptr<search::search_index> live() const;

  /// The popularity lookup for queries on live().
  const popularity_lookup& popularity() const { return popularity_; }

  /// Whether a rebuild is in progress.
  bool rebuilding() const;

private:
  caf::error apply_to(search::search_index& idx, const std::vector<event_record>& events,
                      uint64_t next);
  std::string gen_dir(uint64_t gen) const;

  std::string dir_;
  popularity_lookup popularity_;
  mutable std::mutex mtx_;
  std::shared_ptr<search::search_index> live_;
  std::shared_ptr<search::search_index> building_;
  uint64_t gen_ = 0;
  uint64_t swap_at_ = 0; ///< Swap when the new index reaches this checkpoint.
};

} // namespace almanac::search
