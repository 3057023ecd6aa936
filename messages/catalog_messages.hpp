#pragma once

// What crosses actors on the way into and out of the catalog, as structs:
// extraction hands the catalog actor its desired entities as a vector (not
// JSON text) and gets a sync_reply back; an HTTP body, parsed once at the
// edge, travels as a json_body; each command answers with its reply struct,
// which the edge renders with to_json (one codec per reply). Each has an inspect() so that it could cross a
// node; free-form attributes travel as their JSON text inside the frame and
// are parsed once on arrival (meta::save_callback / load_callback).

#include <utility> // before CAF's callback headers, which use std::move

#include "messages/error.hpp"

#include <caf/error.hpp>
#include <caf/meta/load_callback.hpp>
#include <caf/meta/save_callback.hpp>
#include <caf/meta/type_name.hpp>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace almanac {

/// One object as extraction wants it.
struct desired_entity {
  std::string urn;
  std::string kind;
  std::string parent;        ///< URN of the parent (a column's table or view).
  nlohmann::json attributes; ///< Extracted facts (types, keys, definition, ...).
  std::string comment;       ///< The source's comment (seeds the description).
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, desired_entity& x) {
  std::string attributes;
  auto save = caf::meta::save_callback([&]() -> caf::error {
    attributes = x.attributes.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return caf::none;
  });
  auto load = caf::meta::load_callback([&]() -> caf::error {
    x.attributes = nlohmann::json::parse(attributes, nullptr, false);
    if (!x.attributes.is_object())
      return make_error(ec::bad_request, "desired entity " + x.urn
                                           + ": its attributes in the frame are not a JSON object");
    return caf::none;
  });
  return f(caf::meta::type_name("almanac.desired_entity"), x.urn, x.kind, x.parent,
           x.comment, save, attributes, load);
}

/// What a sync changed (the catalog actor's answer to extraction).
struct sync_reply {
  std::string source; ///< The source's URN.
  uint64_t added = 0;
  uint64_t changed = 0;
  uint64_t removed = 0;
  uint64_t events = 0; ///< Events appended.
  uint64_t offset = 0; ///< The offset of the last one (0 when none).
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, sync_reply& x) {
  return f(caf::meta::type_name("almanac.sync_reply"), x.source, x.added, x.changed,
           x.removed, x.events, x.offset);
}

/// A JSON object parsed once at the HTTP edge (a request body, an entity's
/// attributes). Locally it travels as the parsed value; across a node as
/// its text, parsed on arrival and refused unless it is an object.
struct json_body {
  nlohmann::json value = nlohmann::json::object();
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, json_body& x) {
  std::string text;
  auto save = caf::meta::save_callback([&]() -> caf::error {
    text = x.value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return caf::none;
  });
  auto load = caf::meta::load_callback([&]() -> caf::error {
    x.value = nlohmann::json::parse(text, nullptr, false);
    if (!x.value.is_object())
      return make_error(ec::bad_request, "a JSON body in the frame is not a JSON object");
    return caf::none;
  });
  return f(caf::meta::type_name("almanac.json_body"), save, text, load);
}

/// An entity registered (POST /api/v1/entities, a source registered).
struct register_reply {
  std::string urn;
  uint64_t version = 1;
  uint64_t offset = 0; ///< The log offset of the command's last event.
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, register_reply& x) {
  return f(caf::meta::type_name("almanac.register_reply"), x.urn, x.version, x.offset);
}

/// An entity edited (PATCH, attributes replaced). A command that changes
/// nothing appends no event: `changed` false, the current version.
struct edit_reply {
  std::string urn;
  uint64_t version = 0;
  bool changed = false;
  uint64_t offset = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, edit_reply& x) {
  return f(caf::meta::type_name("almanac.edit_reply"), x.urn, x.version, x.changed,
           x.offset);
}

/// An entity removed, with `removed` entities in all (its descendants in a
/// cascade).
struct remove_reply {
  std::string urn;
  uint64_t removed = 0;
  uint64_t offset = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, remove_reply& x) {
  return f(caf::meta::type_name("almanac.remove_reply"), x.urn, x.removed, x.offset);
}

/// A token issued (with a new user, or on its own): the one time the token
/// itself is shown. Only the admin who asked receives it; it is never logged
/// (the log keeps its hash).
struct token_reply {
  std::string user; ///< The token's owner.
  std::string role;
  std::string token_id;
  std::string token;
  uint64_t offset = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, token_reply& x) {
  return f(caf::meta::type_name("almanac.token_reply"), x.user, x.role, x.token_id,
           x.token, x.offset);
}

/// A token revoked; `changed` false when it was revoked already.
struct revoke_reply {
  std::string token_id;
  std::string owner;
  bool changed = false;
  uint64_t offset = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, revoke_reply& x) {
  return f(caf::meta::type_name("almanac.revoke_reply"), x.token_id, x.owner, x.changed,
           x.offset);
}

// The replies as the HTTP API answers them (docs/api.md).
void to_json(nlohmann::json& j, const register_reply& x);
void to_json(nlohmann::json& j, const edit_reply& x);
void to_json(nlohmann::json& j, const remove_reply& x);
void to_json(nlohmann::json& j, const token_reply& x);
void to_json(nlohmann::json& j, const revoke_reply& x);

} // namespace almanac
