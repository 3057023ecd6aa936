#pragma once

// What command validation needs to know about the current catalog state.
// The catalog projection implements it; the catalog actor may wrap it to add
// the effect of events appended but not yet applied.

#include <caf/expected.hpp>

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace almanac::catalog {

/// Read access to the current catalog state.
class state_view {
public:
  virtual ~state_view() = default;

  /// The current entity (see entity.hpp; without "children"), nullopt if it
  /// does not exist or was removed.
  virtual caf::expected<std::optional<nlohmann::json>>
  entity(const std::string& urn) const = 0;

  /// The URNs of the current children of `urn`, in URN order.
  virtual caf::expected<std::vector<std::string>>
  children(const std::string& urn) const = 0;

  /// The user `name`: {"name", "role", "created": {...}}, nullopt if unknown.
  virtual caf::expected<std::optional<nlohmann::json>>
  user(const std::string& name) const = 0;

  /// The token with id `token_id`: {"id", "owner", "role", "revoked",
  /// "issued": {...}} (never the hash), nullopt if unknown.
  virtual caf::expected<std::optional<nlohmann::json>>
  token(const std::string& token_id) const = 0;
};

} // namespace almanac::catalog
