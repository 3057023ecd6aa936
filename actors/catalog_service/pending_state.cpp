#include "actors/catalog_service/pending_state.hpp"

#include "actors/catalog/entity.hpp"

#include <algorithm>
#include <set>

namespace almanac::catalog_service {

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
  for (auto& ev : events) {
    auto payload = nlohmann::json::parse(ev.payload, nullptr, false);
    if (!payload.is_object())
      continue;
    auto name = parse_event_tag(ev.type).first;
    if (name == "EntityRegistered") {
      auto e = catalog::registered_entity(payload, info);
      note_child(e, ev.key);
      put(entities_, ev.key, std::move(e), seq);
    } else if (name == "EntityEdited") {
      auto current = entity(ev.key);
      if (current && *current) {
        auto e = **current;
        catalog::apply_edit(e, payload, info);
        put(entities_, ev.key, std::move(e), seq);
      }
    } else if (name == "EntityRemoved") {
      note_child(std::nullopt, ev.key);
      put(entities_, ev.key, std::nullopt, seq);
    } else if (name == "UserCreated") {
      put(users_, payload.value("name", ""),
          nlohmann::json{{"name", payload.value("name", "")},
                         {"role", payload.value("role", "")}},
          seq);
    } else if (name == "TokenIssued") {
      put(tokens_, payload.value("token_id", ""),
          nlohmann::json{{"id", payload.value("token_id", "")},
                         {"owner", payload.value("owner", "")},
                         {"role", payload.value("role", "")},
                         {"revoked", false}},
          seq);
    } else if (name == "TokenRevoked") {
      auto id = payload.value("token_id", "");
      auto current = token(id);
      if (current && *current) {
        auto t = **current;
        t["revoked"] = true;
        put(tokens_, id, std::move(t), seq);
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

} // namespace almanac::catalog_service
