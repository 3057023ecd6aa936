#pragma once

// The search index: catalog entities in a Xapian database, ranked with
// popularity and curation, a lexicon of abbreviations and an in-memory
// suggester. Plain C++ (no actor code); the search projection feeds it from
// EntityRegistered/EntityEdited/EntityRemoved/LexiconEdited events.
// Popularity is not kept here: a query brings a lookup of the one decayed
// popularity (the lineage store's, see messages/popularity.hpp).
//
// One writer (the projection's thread) calls upsert/remove/
// put_lexicon and then commit(next_offset), which writes the changes, the
// lexicon's manual entries and the checkpoint in one Xapian commit. Any
// number of threads may call search/suggest/lexicon_json concurrently with
// the writer: searches read the last commit through a pool of reader
// databases (reopened per query); suggest and the lexicon read in-memory
// structures under a shared lock (they see uploads before their commit).
//
// Ranking (see ranking.hpp): BM25 over weighted fields, then over the top
// `rerank_depth` matches
//   score = text * (1 + 0.5 * pop / (pop + 10)) * curation
// with curation 1.25 if endorsed, 0.5 if deprecated, and exact-name matches
// (query equal to the name or title modulo case and separators) first.
//
// Errors: no exception crosses this interface; failures come back as a
// `status` with a message (Xapian's).

#include "actors/search/domain/suggester.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace almanac::search {

/// The current popularity (>= 0) of each URN, in the same order.
using popularity_lookup =
  std::function<std::vector<double>(const std::vector<std::string>& urns)>;

/// Success, or an error message.
struct status {
  std::string error;
  bool ok() const { return error.empty(); }
};

/// A search request. `text` syntax: words (AND; falls back to OR when
/// nothing matches every word), "quoted phrases", `word*` for a prefix; the
/// last word also matches as a prefix of names and titles. Identifiers are
/// split (`film_actor` = film actor).
struct search_query {
  std::string text;
  std::vector<std::string> kinds;    ///< any of (OR); empty = all
  std::vector<std::string> sources;  ///< source names
  std::vector<std::string> schemas;  ///< schema names
  std::vector<std::string> tags;     ///< any of
  std::vector<std::string> stewards; ///< any of
  std::optional<bool> endorsed;
  std::optional<bool> deprecated;
  size_t offset = 0;
  size_t limit = 20;
  bool facets = true;
  /// Documents examined at least: facets and `total` are exact when fewer
  /// match, else counted over the first this many (total estimated).
  size_t check_at_least = 2000;
  size_t snippet_length = 200;
  /// Popularity of the top matches (none: every entity counts as unused).
  popularity_lookup popularity;
};

/// One ranked result.
struct search_hit {
  std::string urn, kind, name, title;
  double score = 0;      ///< final score (see ranking above)
  double text_score = 0; ///< BM25 part
  std::string snippet;   ///< highlighted with <b>...</b>
};

/// A page of results with facets over the whole match set.
struct search_result {
  uint64_t total = 0;
  std::vector<search_hit> results;
  /// facet name (kind, source, schema, tag, steward, curation) -> value -> count
  std::map<std::string, std::map<std::string, uint64_t>> facets;
  std::string error; ///< empty on success
  bool busy = false; ///< The error is the index's (retry later), not the query's.

  /// {"total", "results":[{"urn","kind","name","title","score","snippet"}],
  ///  "facets":{...}}
  nlohmann::json to_json() const;
};

class search_index {
public:
  search_index();
  /// Writes the memory snapshot when nothing is uncommitted (a crash writes
  /// none: the next open reads every document).
  ~search_index();
  search_index(const search_index&) = delete;
  search_index& operator=(const search_index&) = delete;

  /// Opens (or creates) the index in directory `dir` and loads the
  /// suggester and lexicon: from the memory snapshot that closing it wrote
  /// if that snapshot is of the last commit (same Xapian revision,
  /// checkpoint and document count, checksum intact), else by reading
  /// every document.
  status open(const std::string& dir);

  /// Whether open() loaded the memory snapshot (else it read every
  /// document).
  bool opened_from_snapshot() const;

  /// The index is about to be deleted: closing it writes no snapshot.
  void discard();

  /// Indexes `entity` (the catalog's JSON shape, see entity.hpp), replacing
  /// its earlier version.
  status upsert(const nlohmann::json& entity);

  /// The indexed entity `urn` as last upserted (uncommitted changes
  /// included), for applying an EntityEdited payload to it (writer thread).
  std::optional<nlohmann::json> entity(const std::string& urn) const;

  /// Removes the entity `urn` (no-op if absent).
  status remove(const std::string& urn);

  /// Puts a manual lexicon entry (an empty expansion removes it).
  status put_lexicon(const std::string& abbreviation, const std::string& expansion);

  /// Writes everything since the last commit with `checkpoint`, atomically.
  status commit(uint64_t checkpoint);

  /// Drops uncommitted changes (the in-memory structures are reloaded). A
  /// writer that a failed commit closed (a full disk) is reopened at the
  /// last commit.
  status rollback();

  /// A SHA-256 (hex) over the documents (data, values, terms and their
  /// frequencies; not their ids, which depend on history) and the metadata
  /// but the checkpoint (usage totals, lexicon).
  status digest(std::string& out) const;

  /// The checkpoint of the last commit (0 for a new index).
  uint64_t checkpoint() const;

  /// Runs a query against the last commit.
  search_result search(const search_query& query) const;

  /// Prefix autocomplete over names and titles, more popular first among
  /// equal matches.
  std::vector<suggestion> suggest(const std::string& prefix, size_t limit = 10,
                                  const popularity_lookup& popularity = {}) const;

  /// Whether open() found an index of an older format and discarded it
  /// (its checkpoint is 0: the log rebuilds it).
  bool discarded_old_format() const;

  /// {"entries":[{"abbreviation","expansion","source","count"}]}
  nlohmann::json lexicon_json() const;

  /// A suggested title for an identifier ("cust_addr" -> "Customer Address").
  std::string suggest_title(const std::string& name) const;

  /// The number of committed documents.
  uint64_t size() const;

  /// How many matches are re-ranked with popularity and curation.
  static constexpr size_t rerank_depth = 100;

  struct impl;

private:
  std::unique_ptr<impl> impl_;
};

} // namespace almanac::search
