#pragma once

// Reading the curated fields (title, description, tags, stewards, terms,
// deprecated, endorsed) of a request body, shared by registration and edits.

#include "actors/catalog/domain/state_view.hpp"

#include <caf/expected.hpp>

#include <nlohmann/json.hpp>

namespace almanac::catalog {

/// Returns the curated fields present in `body`, validated: title (one line),
/// description (Markdown: '\n' and '\t' allowed), tags (one-line names),
/// stewards (names of existing users), terms (URNs of existing terms), deprecated and
/// endorsed (booleans). List duplicates are dropped. Fields absent from
/// `body` are absent from the result; other fields of `body` are ignored.
caf::expected<nlohmann::json> read_curated(const nlohmann::json& body,
                                           const state_view& state);

} // namespace almanac::catalog
