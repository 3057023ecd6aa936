#pragma once

// Stable, readable entity identifiers:
//
//   urn:almanac:<kind>:<path>
//
// where <path> is the names from the source down joined by '.', e.g.
// `urn:almanac:column:pagila.public.film.title`. A name is percent-encoded
// (uppercase hex, per UTF-8 byte) where it holds '.', '%', '/', whitespace,
// a control character or DEL; every other byte, including non-ASCII UTF-8,
// stays as it is. The encoding is canonical: parse_urn() rejects a URN that
// make_urn() would not produce from the same names (e.g. "%2e" or "%41"),
// so one entity has exactly one URN.

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace almanac::catalog {

/// The kinds of catalog entities. A materialized view is a `view` with the
/// attribute `materialized: true`.
enum class entity_kind {
  source, ///< A data source (a database); path depth 1.
  schema, ///< A schema of a source; depth 2.
  table,  ///< A table of a schema; depth 3.
  view,   ///< A view (or materialized view) of a schema; depth 3.
  column, ///< A column of a table or view; depth 4.
  query,  ///< A saved or observed query; depth 1.
  term,   ///< A glossary term; depth 1.
  user,   ///< A user; depth 1.
  tag,    ///< A tag; depth 1.
  job,    ///< An OpenLineage job: namespace.name; depth 2.
  run,    ///< A run of a job: namespace.name.runId; depth 3.
};

/// Returns the lowercase name of `k`, as used in URNs ("source", ...).
const char* to_string(entity_kind k);

/// Parses a kind name (exact, lowercase).
std::optional<entity_kind> parse_kind(std::string_view name);

/// Every kind, in declaration order.
const std::vector<entity_kind>& all_kinds();

/// The number of names in the path of a `k` URN.
size_t expected_depth(entity_kind k);

/// The kinds a parent of a `k` entity may have (empty for top-level kinds):
/// schema -> source, table/view -> schema, column -> table or view.
std::vector<entity_kind> parent_kinds(entity_kind k);

/// A URN split into its parts, names decoded.
struct parsed_urn {
  entity_kind kind = entity_kind::source;
  std::vector<std::string> names;
};

/// Percent-encodes one name for a URN path.
std::string encode_name(std::string_view name);

/// Checks that `name` can be an identifier: not empty and valid UTF-8.
/// The error (invalid_argument) says what is wrong.
caf::error check_name(std::string_view name);

/// Builds the URN of a `kind` entity from its names. Fails with
/// invalid_argument if the depth does not match the kind or a name is empty
/// or not valid UTF-8.
caf::expected<std::string> make_urn(entity_kind kind,
                                    const std::vector<std::string>& names);

/// Parses and validates a URN; errors (invalid_argument) begin with
/// "invalid identifier" and name the problem.
caf::expected<parsed_urn> parse_urn(std::string_view urn);

/// Returns the URN of the parent of `urn` with the given parent kind, e.g.
/// the table of a column. Fails if `urn` is invalid or has no parent of
/// that kind.
caf::expected<std::string> parent_urn(std::string_view urn,
                                      entity_kind parent_kind);

/// Returns the URN of the default parent of `urn`: schema -> source,
/// table/view -> schema, column -> table. Fails for top-level kinds.
caf::expected<std::string> parent_urn(std::string_view urn);

} // namespace almanac::catalog
