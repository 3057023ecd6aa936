#pragma once

// What crosses actors on the way into the catalog, as structs: extraction
// hands the catalog actor its desired entities as a vector (not JSON text)
// and gets a sync_reply back. Each has an inspect() so that it could cross a
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

} // namespace almanac
