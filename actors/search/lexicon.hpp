#pragma once

// The lexicon: abbreviations and synonyms used to expand queries and to
// suggest titles for untitled objects.
//
// Three sources, in order of precedence when they disagree:
//   manual    entries a steward puts (override everything, persisted);
//   glossary  synonyms and abbreviations of glossary terms (term entities'
//             attributes "synonyms"/"abbreviations"/"abbreviation");
//   learned   abbreviations found in the catalog's own vocabulary: a short
//             identifier word (3-5 letters) that abbreviates a longer, more
//             frequent word of the same corpus (`cust` -> customer, `addr`
//             -> address, `amt` -> amount).
// A word that is not in the vocabulary at all (a query's `cust` over a
// catalog that only says `customer`) is resolved by the same rule at lookup
// ("inferred", reported as learned).
//
// Abbreviation rule: `a` abbreviates `w` when len(w) >= len(a) + 2, both
// start with the same letter, and either `w` starts with `a` (truncation:
// cust, addr) or `a` is a subsequence of `w` ending with `w`'s last letter
// whose letters after the first are consonants (skeleton: amt, qty, nbr).
// Among candidates the most frequent `w` wins (truncations count double).
//
// Not thread-safe: the owner (search_index) guards it.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace almanac::search {

class packer;   // domain/pack.hpp
class unpacker;

/// One lexicon entry as exposed in JSON.
struct lexicon_entry {
  std::string abbreviation; ///< Normalized (lowercase words joined).
  std::string expansion;    ///< Lowercase words separated by spaces.
  std::string source;       ///< "learned", "glossary" or "manual".
  uint64_t count = 0;       ///< Occurrences of the abbreviation in the corpus.
};

/// True if `abbr` abbreviates `word` by the rule above.
bool abbreviates(const std::string& abbr, const std::string& word);

class lexicon {
public:
  /// Adds (delta > 0) or removes (delta < 0) the words of one identifier
  /// (name) or one text (description, title) to the vocabulary.
  void count_identifier(const std::vector<std::string>& words, int delta);
  void count_text(const std::vector<std::string>& words, int delta);

  /// Sets the synonyms of a glossary term (replacing earlier ones for the
  /// same term URN); an empty list removes them.
  void set_glossary(const std::string& term_urn, const std::string& expansion,
                    const std::vector<std::string>& synonyms);

  /// Puts a manual entry (overrides learned and glossary ones). An empty
  /// expansion removes it.
  void put_manual(const std::string& abbreviation, const std::string& expansion);

  /// Recomputes learned entries from the vocabulary (after a batch).
  void relearn();

  /// The expansion of `word` (any case/separators): manual, glossary,
  /// learned, then inferred if `word` is not in the vocabulary.
  std::optional<lexicon_entry> lookup(const std::string& word) const;

  /// A title from an identifier: words expanded and title-cased
  /// ("cust_addr" -> "Customer Address", "film_id" -> "Film ID").
  std::string suggest_title(const std::string& name) const;

  /// The number of distinct words in the vocabulary.
  size_t vocabulary_size() const { return vocab_.size(); }

  /// How often `word` occurs in identifiers and texts.
  uint64_t frequency(const std::string& word) const;

  /// {"entries":[{"abbreviation","expansion","source","count"}]} sorted by
  /// abbreviation (one entry per abbreviation: the one that applies).
  nlohmann::json to_json() const;

  /// The persistent part (manual entries) and its restore.
  nlohmann::json save() const;
  void load(const nlohmann::json& saved);

  /// Everything (vocabulary, glossary, learned and manual entries) for the
  /// index's memory snapshot, and its restore (false: malformed; the
  /// lexicon is then empty).
  void snapshot(packer& out) const;
  bool restore(unpacker& in);

private:
  struct counts {
    uint64_t ident = 0;
    uint64_t text = 0;
    uint64_t total() const { return ident + text; }
  };
  std::optional<std::string> infer(const std::string& abbr, uint64_t min_count) const;

  std::map<std::string, counts> vocab_;
  std::map<std::string, std::string> manual_;
  /// abbr -> term urn -> expansion. When terms claim the same abbreviation,
  /// the smallest URN's applies: the same whatever order they came in.
  std::map<std::string, std::map<std::string, std::string>> glossary_;
  std::unordered_map<std::string, std::vector<std::string>> glossary_by_term_;
  std::map<std::string, std::string> learned_;
};

} // namespace almanac::search
