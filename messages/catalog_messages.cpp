#include "messages/catalog_messages.hpp"

namespace almanac {

void to_json(nlohmann::json& j, const register_reply& x) {
  j = {{"urn", x.urn}, {"version", x.version}, {"offset", x.offset}};
}

void to_json(nlohmann::json& j, const edit_reply& x) {
  j = {{"urn", x.urn}, {"version", x.version}, {"changed", x.changed}, {"offset", x.offset}};
}

void to_json(nlohmann::json& j, const remove_reply& x) {
  j = {{"urn", x.urn}, {"removed", x.removed}, {"offset", x.offset}};
}

void to_json(nlohmann::json& j, const token_reply& x) {
  j = {{"user", x.user}, {"role", x.role}, {"token_id", x.token_id}, {"token", x.token},
       {"offset", x.offset}};
}

void to_json(nlohmann::json& j, const revoke_reply& x) {
  j = {{"token_id", x.token_id}, {"owner", x.owner}, {"revoked", true},
       {"changed", x.changed}, {"offset", x.offset}};
}

} // namespace almanac
