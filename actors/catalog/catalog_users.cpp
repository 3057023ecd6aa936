// catalog_projection: users and tokens.

#include "actors/catalog/catalog_keys.hpp"
#include "actors/catalog/catalog_projection.hpp"
#include "messages/error.hpp"
#include "storage/state/rocks_store.hpp"

#include <nlohmann/json.hpp>

namespace almanac::catalog {

using json = nlohmann::json;

caf::expected<std::optional<json>>
catalog_projection::find_token(const std::string& sha256) const {
  auto token = read_json(keys::token(sha256));
  if (!token || !*token)
    return token;
  auto& t = **token;
  if (t.value("revoked", false))
    return std::optional<json>{};
  return std::optional<json>{json{{"user", t.value("owner", std::string{})},
                                  {"role", t.value("role", std::string{})},
                                  {"token_id", t.value("id", std::string{})}}};
}

caf::expected<json> catalog_projection::users() const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  if (!store_)
    return make_error(ec::unavailable, "catalog state is not open");
  json result = json::array();
  auto err = store_->scan(keys::user(""), [&](const std::string&, const std::string& value) {
    auto user = json::parse(value, nullptr, false);
    if (!user.is_discarded())
      result.push_back(std::move(user));
    return true;
  });
  if (err)
    return err;
  return result;
}

caf::expected<json> catalog_projection::tokens_of(const std::string& user) const {
  auto ids = child_keys(keys::tokens_of(user));
  if (!ids)
    return ids.error();
  json result = json::array();
  for (auto& id : *ids) {
    auto t = token(id);
    if (!t)
      return t.error();
    if (*t)
      result.push_back(std::move(**t));
  }
  return result;
}

} // namespace almanac::catalog
