#include "messages/redact.hpp"

#include <nlohmann/json.hpp>

namespace almanac {

namespace {

template <class F>
void walk(nlohmann::json& j, const F& at_object) {
  if (j.is_object()) {
    at_object(j);
    for (auto& [k, v] : j.items())
      walk(v, at_object);
  } else if (j.is_array()) {
    for (auto& v : j)
      walk(v, at_object);
  }
}

void redact_here(nlohmann::json& j) {
  if (j.contains("connection") && j["connection"].is_object())
    j["connection"] = nlohmann::json{{"kind", j["connection"].value("kind", "")},
                                     {"redacted", true}};
}

} // namespace

void redact_connections(nlohmann::json& j) {
  walk(j, redact_here);
}

void remove_secrets(nlohmann::json& j) {
  walk(j, [](nlohmann::json& o) {
    for (auto key : {"token_sha256", "password", "password_ref", "password_env"})
      o.erase(key);
    redact_here(o);
  });
}

} // namespace almanac
