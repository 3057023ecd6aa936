#include "actors/catalog/domain/token.hpp"

#include "messages/random.hpp"

namespace almanac::catalog {

caf::expected<std::string> new_token_id() {
  auto hex = random_hex(8);
  if (!hex)
    return hex.error();
  return "tok-" + *hex;
}

} // namespace almanac::catalog
