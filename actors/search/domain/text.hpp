#pragma once

// Text helpers shared by the index, the lexicon and the suggester: words of
// identifiers and prose, normalized names.
//
// Identifiers are split at separators ('_', '.', '-', spaces, punctuation),
// at camelCase boundaries ("FilmActor" -> film actor, "HTTPServer" -> http
// server) and between letters and digits ("address2" -> address 2), so
// `film_actor`, `FilmActor` and `film.actor` all give the words film, actor.

#include <string>
#include <string_view>
#include <vector>

namespace almanac::search {

/// The lowercase words of `text` (identifiers split as above). Bytes >= 0x80
/// (UTF-8) are kept inside words and not case-folded.
std::vector<std::string> words(std::string_view text);

/// `text` with identifiers split, joined by single spaces, case kept
/// ("film_actor" -> "film actor"): readable input for snippets.
std::string split_for_display(std::string_view text);

/// The words of `text` concatenated: "Film_Actor", "film actor" and
/// "film.actor" all give "filmactor". Used to compare a query with a name.
std::string normalize(std::string_view text);

/// True if `c` is an ASCII vowel (a, e, i, o, u).
bool is_vowel(char c);

/// Title case of a word ("customer" -> "Customer"); well-known acronyms
/// (id, url, sql, ...) are upper-cased.
std::string title_word(std::string_view word);

} // namespace almanac::search
