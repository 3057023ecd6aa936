#include "actors/catalog/domain/sync.hpp"

#include "actors/catalog/domain/commands.hpp"
#include "messages/urn.hpp"
#include "actors/catalog/domain/pending_state.hpp"
#include "messages/error.hpp"
#include "messages/event_types.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace almanac::catalog {

using nlohmann::json;

namespace {

std::string urn_of(catalog::entity_kind kind, std::vector<std::string> names) {
  auto u = catalog::make_urn(kind, names);
  return u ? *u : std::string{};
}

constexpr std::string_view column_prefix = "urn:almanac:column:";

/// Attributes that an extraction's edit keeps from the entity.
constexpr const char* kept_attributes[] = {"profile", "row_count",          "connection",
                                           "origin",  "profile_raw_values", "openlineage"};

bool kept(const std::string& key) {
  for (auto k : kept_attributes)
    if (key == k)
      return true;
  return false;
}

/// Whether `entity`'s attributes equal `desired` with the kept attributes
/// of the entity merged in (the edit sync_source would make is a no-op),
/// without building the merge: the common case of an incremental run.
bool unchanged(const json& entity, const json& desired) {
  auto a = entity.find("attributes");
  if (a == entity.end() || !a->is_object() || !desired.is_object())
    return false; // the full comparison decides
  size_t matched = 0; // entity keys that the merge takes from `desired`
  for (auto& [k, v] : desired.items()) {
    auto o = a->find(k);
    if (kept(k) && o != a->end())
      continue; // the merge keeps the entity's own
    if (o == a->end() || *o != v)
      return false;
    ++matched;
  }
  // Every other key of the entity must be a kept one.
  size_t kept_here = 0;
  for (auto& [k, v] : a->items())
    if (kept(k))
      ++kept_here;
  return matched + kept_here == a->size();
}

} // namespace

bool extracted(const json& entity) {
  auto attrs = entity.value("attributes", json::object());
  if (!attrs.is_object())
    return false;
  if (auto origin = attrs.find("origin"); origin != attrs.end())
    return *origin == extraction_origin;
  // Registered before entities carried their origin: extraction's always
  // have the source's "comment" (even empty); OpenLineage's never do.
  return attrs.contains("comment") && !attrs.contains("openlineage");
}

std::vector<desired_entity> desired_from(const std::string& source,
                                         const connectors::catalog_snapshot& snap) {
  using k = catalog::entity_kind;
  std::vector<desired_entity> out;
  auto source_urn = urn_of(k::source, {source});
  for (auto& s : snap.schemas)
    out.push_back({urn_of(k::schema, {source, s.name}), "schema", source_urn,
                   json{{"comment", s.comment}}, s.comment});
  // Which relations are views (for column URNs of foreign keys).
  std::map<std::pair<std::string, std::string>, bool> is_view;
  for (auto& t : snap.tables)
    is_view[{t.schema, t.name}] = t.kind == "view" || t.kind == "materialized_view";
  auto rel_urn = [&](const std::string& schema, const std::string& name) {
    bool view = is_view.count({schema, name}) && is_view[{schema, name}];
    return urn_of(view ? k::view : k::table, {source, schema, name});
  };
  for (auto& t : snap.tables) {
    bool view = t.kind == "view" || t.kind == "materialized_view";
    auto turn = rel_urn(t.schema, t.name);
    json attrs{{"table_type", t.kind}, {"comment", t.comment}};
    if (view) {
      attrs["materialized"] = t.kind == "materialized_view";
      attrs["definition"] = t.definition.value_or("");
    }
    if (t.partition_of) {
      // "table" or "schema.table"
      auto& p = *t.partition_of;
      auto dot = p.find('.');
      attrs["partition_of"] = dot == std::string::npos
                                ? rel_urn(t.schema, p)
                                : rel_urn(p.substr(0, dot), p.substr(dot + 1));
    }
    if (!t.primary_key.empty())
      attrs["primary_key"] = t.primary_key;
    std::map<std::string, json> refs; // column -> referenced column URNs
    if (!t.foreign_keys.empty()) {
      auto fks = json::array();
      for (auto& fk : t.foreign_keys) {
        auto target = rel_urn(fk.ref_schema, fk.ref_table);
        fks.push_back({{"name", fk.name}, {"columns", fk.columns},
                       {"references", target}, {"ref_columns", fk.ref_columns}});
        for (size_t i = 0; i < fk.columns.size() && i < fk.ref_columns.size(); ++i)
          refs[fk.columns[i]].push_back(urn_of(
            k::column, {source, fk.ref_schema, fk.ref_table, fk.ref_columns[i]}));
      }
      attrs["foreign_keys"] = fks;
    }
    out.push_back({turn, view ? "view" : "table",
                   urn_of(k::schema, {source, t.schema}), attrs, t.comment});
    for (auto& c : t.columns) {
      json cattrs{{"data_type", c.data_type}, {"nullable", c.nullable},
                  {"ordinal", c.ordinal}, {"comment", c.comment}};
      if (c.default_value)
        cattrs["default"] = *c.default_value;
      if (std::find(t.primary_key.begin(), t.primary_key.end(), c.name)
          != t.primary_key.end())
        cattrs["primary_key"] = true;
      if (refs.count(c.name))
        cattrs["references"] = refs[c.name];
      out.push_back({urn_of(k::column, {source, t.schema, t.name, c.name}),
                     "column", turn, cattrs, c.comment});
    }
  }
  return out;
}

caf::expected<sync_result> sync_source(const std::string& source_urn,
                                       const std::vector<desired_entity>& desired,
                                       const std::vector<std::string>& scope,
                                       const std::string& user,
                                       const catalog::state_view& state) {
  // Events are validated one after the other on an overlay of their own.
  pending_state overlay{state};
  sync_result result;
  auto emit = [&](auto res) -> caf::error {
    if (!res)
      return res.error();
    overlay.add(0, res->events, user);
    for (auto& e : res->events)
      result.events.push_back(std::move(e));
    return caf::none;
  };
  std::set<std::string> in_scope(scope.begin(), scope.end());
  auto scoped = [&](const std::string& urn, const std::string& parent) {
    return in_scope.empty() || in_scope.count(urn) || in_scope.count(parent);
  };
  // What is there now: every descendant of the source.
  std::map<std::string, json> current;
  std::vector<std::string> stack{source_urn};
  while (!stack.empty()) {
    auto u = stack.back();
    stack.pop_back();
    auto kids = state.children(u);
    if (!kids)
      return kids.error();
    for (auto& kid : *kids) {
      auto e = state.entity(kid);
      if (!e)
        return e.error();
      if (*e)
        current[kid] = std::move(**e);
      // A column is no entity's parent (see parent_kinds): no children scan
      // for the bulk of a source.
      if (kid.rfind(column_prefix, 0) != 0)
        stack.push_back(kid);
    }
  }
  std::set<std::string> wanted;
  for (auto& d : desired) {
    auto parsed = catalog::parse_urn(d.urn);
    if (!parsed)
      return parsed.error();
    if (!scoped(d.urn, d.parent))
      continue;
    wanted.insert(d.urn);
    auto i = current.find(d.urn);
    if (i == current.end()) {
      auto attrs = d.attributes;
      attrs["origin"] = extraction_origin;
      json body{{"urn", d.urn}, {"kind", d.kind}, {"attributes", attrs},
                {"parent", d.parent}};
      if (!d.comment.empty())
        body["description"] = d.comment;
      if (auto err = emit(catalog::register_entity(body, user, overlay)))
        return err;
      ++result.added;
      continue;
    }
    auto& cur = i->second;
    if (unchanged(cur, d.attributes))
      continue;
    auto old_attrs = cur.value("attributes", json::object());
    // What others keep in attributes (profiles, row counts, the origin, an
    // admin's profile_raw_values, OpenLineage's facts) stays.
    auto merged = d.attributes;
    for (auto key : kept_attributes)
      if (old_attrs.contains(key))
        merged[key] = old_attrs[key];
    if (old_attrs == merged)
      continue;
    ev::entity_edited e;
    e.fields_set.attributes = merged;
    auto old_comment = old_attrs.value("comment", std::string{});
    if (cur.value("description", std::string{}) == old_comment
        && old_comment != d.comment)
      e.fields_set.description = d.comment;
    auto version = cur.value("version", uint64_t{0});
    e.user = user;
    e.urn = d.urn;
    e.version = version + 1;
    e.previous_version = version;
    catalog::command_result<edit_reply> edit;
    edit.events.push_back(ev::to_event(e, d.urn));
    if (auto err = emit(caf::expected<catalog::command_result<edit_reply>>{std::move(edit)}))
      return err;
    ++result.changed;
  }
  // Removals, deepest first (columns before their tables before schemas),
  // of what extraction created only: a dataset OpenLineage (or a person)
  // registered below the source stays, and so does its parent.
  std::vector<std::string> gone;
  for (auto& [urn, e] : current) {
    auto parent = e.value("parent", json(nullptr));
    auto p = parent.is_string() ? parent.get<std::string>() : std::string{};
    if (!wanted.count(urn) && scoped(urn, p) && extracted(e))
      gone.push_back(urn);
  }
  auto depth = [](const std::string& urn) {
    auto p = catalog::parse_urn(urn);
    return p ? p->names.size() : 0;
  };
  std::stable_sort(gone.begin(), gone.end(), [&](auto& a, auto& b) {
    return depth(a) > depth(b);
  });
  for (auto& urn : gone) {
    auto kids = overlay.children(urn);
    if (!kids)
      return kids.error();
    if (!kids->empty())
      continue; // something extraction did not create is still below it
    if (auto err = emit(catalog::remove_entity(urn, std::nullopt, false, user, overlay)))
      return err;
    ++result.removed;
  }
  return result;
}

} // namespace almanac::catalog
