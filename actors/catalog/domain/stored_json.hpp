#pragma once

// Decoding JSON values read from the catalog state store.

#include <caf/expected.hpp>

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace almanac::catalog {

/// Parses a value read at `key`: nullopt stays nullopt, a read error is
/// passed on, unparsable JSON is corrupt_data.
caf::expected<std::optional<nlohmann::json>>
parse_stored(caf::expected<std::optional<std::string>> raw, const std::string& key);

} // namespace almanac::catalog
