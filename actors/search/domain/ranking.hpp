#pragma once

// The ranking formula, as plain functions (tested without an index).
//
//   final = text * popularity_boost(pop) * curation(endorsed, deprecated)
//   popularity_boost(pop) = 1 + 0.5 * pop / (pop + 10)   in [1, 1.5)
//   curation = 1.25 endorsed, 0.5 deprecated, 1 otherwise (both: 0.625)
//
// `text` is Xapian's BM25 weight over fields weighted name 4 > title 3 >
// tags/terms 2 > description 1.5 > columns 1 > source/schema/table 0.8 >
// definition 0.4, plus lexicon expansions at 0.6 and prefix matches at 0.3.
// Results are ordered by (exact tier, final). A query matches a name at
// level 3 when it equals the name or title modulo case and separators, or
// has the same non-stop words modulo inflection ("store sales" =
// sales_by_store, "Films" = film); at level 2 when it names a column with
// its table ("category name" = category.name). tier = max(2 * level(query),
// 2 * level(lexicon expansion) - 1), then doubled +1 for anything but a
// column (the film table before a film column), 0 for no exact match. An
// entity without usage keeps its text score.

namespace almanac::search {

constexpr double popularity_weight = 0.5;
constexpr double popularity_half = 10.0;
constexpr double endorsed_factor = 1.25;
constexpr double deprecated_factor = 0.5;

/// The bounded popularity multiplier.
inline double popularity_boost(double pop) {
  if (!(pop > 0)) return 1.0;
  return 1.0 + popularity_weight * pop / (pop + popularity_half);
}

/// The curation multiplier.
inline double curation_factor(bool endorsed, bool deprecated) {
  double f = 1.0;
  if (endorsed) f *= endorsed_factor;
  if (deprecated) f *= deprecated_factor;
  return f;
}

/// The final score of a match.
inline double final_score(double text, double pop, bool endorsed, bool deprecated) {
  return text * popularity_boost(pop) * curation_factor(endorsed, deprecated);
}

} // namespace almanac::search
