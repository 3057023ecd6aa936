#include "actors/catalog/domain/pending_state.hpp"

#include "actors/catalog/domain/entity.hpp"
#include "messages/event_types.hpp"

#include <algorithm>
#include <set>

namespace almanac::catalog {

pending_state::pending_state(const catalog::state_view& base) : base_(base) {
  // nop
}

void pending_state::put(std::map<std::string, entry>& table,
                        const std::string& key,
                        std::optional<nlohmann::json> value, uint64_t seq) {
  auto& e = table[key];
  e.value = std::move(value);
  e.seq = seq;
  e.end.reset();
}

void pending_state::note_child(const std::optional<nlohmann::json>& value,
                               const std::string& urn) {
  if (value) {
    auto p = value->value("parent", nlohmann::json(nullptr));
    if (p.is_string()) {
      parent_of_[urn] = p.get<std::string>();
      children_[p.get<std::string>()][urn] = true;
    }
    return;
  }
  // Removed: known parent from the overlay, else from the base state.
  std::string parent;
  if (auto i = parent_of_.find(urn); i != parent_of_.end()) {
    parent = i->second;
  } else if (auto e = base_.entity(urn); e && *e) {
    auto p = (**e).value("parent", nlohmann::json(nullptr));
    if (p.is_string())
      parent = p.get<std::string>();
  }
  if (!parent.empty()) {
    children_[parent][urn] = false;
    parent_of_[urn] = parent;
  }
}

void pending_state::add(uint64_t seq, const std::vector<event_input>& events,
                        const std::string& user) {
  catalog::change_info info{0, 0, user};
  for (auto& e : events) {
    if (ev::is<ev::entity_registered>(e.type)) {
      if (auto r = ev::decode<ev::entity_registered>(e.payload)) {
        auto entity = catalog::registered_entity(*r, info);
        note_child(entity, e.key);
        put(entities_, e.key, std::move(entity), seq);
      }
    } else if (ev::is<ev::entity_edited>(e.type)) {
      auto edit = ev::decode<ev::entity_edited>(e.payload);
      auto current = entity(e.key);
      if (edit && current && *current) {
        auto entity = **current;
        catalog::apply_edit(entity, *edit, info);
        put(entities_, e.key, std::move(entity), seq);
      }
    } else if (ev::is<ev::entity_removed>(e.type)) {
      note_child(std::nullopt, e.key);
      put(entities_, e.key, std::nullopt, seq);
    } else if (ev::is<ev::user_created>(e.type)) {
      if (auto u = ev::decode<ev::user_created>(e.payload))
        put(users_, u->name, nlohmann::json{{"name", u->name}, {"role", u->role}}, seq);
    } else if (ev::is<ev::token_issued>(e.type)) {
      if (auto t = ev::decode<ev::token_issued>(e.payload))
        put(tokens_, t->token_id,
            nlohmann::json{{"id", t->token_id},
                           {"owner", t->owner},
                           {"role", t->role},
                           {"revoked", false}},
            seq);
    } else if (ev::is<ev::token_revoked>(e.type)) {
      auto r = ev::decode<ev::token_revoked>(e.payload);
      if (!r)
        continue;
      auto current = token(r->token_id);
      if (current && *current) {
        auto t = **current;
        t["revoked"] = true;
        put(tokens_, r->token_id, std::move(t), seq);
      }
    }
  }
}

void pending_state::acked(uint64_t seq, uint64_t end) {
  for (auto* table : {&entities_, &users_, &tokens_})
    for (auto& [key, e] : *table)
      if (e.seq == seq)
        e.end = end;
}

void pending_state::trim(uint64_t checkpoint) {
  for (auto* table : {&entities_, &users_, &tokens_})
    for (auto i = table->begin(); i != table->end();) {
      if (i->second.end && *i->second.end <= checkpoint) {
        if (table == &entities_) {
          // The projection has it: drop it from the children overlay too.
          auto p = parent_of_.find(i->first);
          std::string parent = p != parent_of_.end() ? p->second : std::string{};
          if (!parent.empty()) {
            auto c = children_.find(parent);
            if (c != children_.end()) {
              c->second.erase(i->first);
              if (c->second.empty())
                children_.erase(c);
            }
          }
          if (p != parent_of_.end())
            parent_of_.erase(p);
        }
        i = table->erase(i);
      } else {
        ++i;
      }
    }
}

void pending_state::clear() {
  children_.clear();
  parent_of_.clear();
  entities_.clear();
  users_.clear();
  tokens_.clear();
}

size_t pending_state::size() const {
  return entities_.size() + users_.size() + tokens_.size();
}

caf::expected<std::optional<nlohmann::json>>
pending_state::entity(const std::string& urn) const {
  auto i = entities_.find(urn);
  if (i != entities_.end())
    return i->second.value;
  return base_.entity(urn);
}

caf::expected<std::vector<std::string>>
pending_state::children(const std::string& urn) const {
  auto base = base_.children(urn);
  if (!base)
    return base.error();
  auto c = children_.find(urn);
  if (c == children_.end())
    return base;
  std::set<std::string> result(base->begin(), base->end());
  for (auto& [kid, present] : c->second) {
    if (present)
      result.insert(kid);
    else
      result.erase(kid);
  }
  return std::vector<std::string>(result.begin(), result.end());
}

caf::expected<std::optional<nlohmann::json>>
pending_state::user(const std::string& name) const {
  auto i = users_.find(name);
  if (i != users_.end())
    return i->second.value;
  return base_.user(name);
}

caf::expected<std::optional<nlohmann::json>>
pending_state::token(const std::string& token_id) const {
  auto i = tokens_.find(token_id);
  if (i != tokens_.end())
    return i->second.value;
  return base_.token(token_id);
}

} // namespace almanac::catalog
