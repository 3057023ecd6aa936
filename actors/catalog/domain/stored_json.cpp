#include "actors/catalog/domain/stored_json.hpp"

#include "messages/text_checks.hpp"
#include "messages/error.hpp"

namespace almanac::catalog {

caf::expected<std::optional<nlohmann::json>>
parse_stored(caf::expected<std::optional<std::string>> raw, const std::string& key) {
  if (!raw)
    return raw.error();
  if (!*raw)
    return std::optional<nlohmann::json>{};
  auto value = nlohmann::json::parse(**raw, nullptr, false);
  if (value.is_discarded())
    return make_error(ec::corrupt_data,
                      "catalog state: unreadable value at " + printable(key));
  return std::optional<nlohmann::json>{std::move(value)};
}

} // namespace almanac::catalog
