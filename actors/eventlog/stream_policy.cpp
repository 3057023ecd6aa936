#include "actors/eventlog/stream_policy.hpp"

#include "messages/event_types.hpp"
#include "messages/redact.hpp"

#include <algorithm>
#include <set>

namespace almanac::eventlog {

namespace {

using nlohmann::json;

// Keeps the entries of a usage batch that belong to `user`; nullopt if none.
template <class Batch, class Entries>
std::optional<json> own_entries(const json& payload, Entries Batch::*entries,
                                const std::string& user) {
  auto batch = ev::from_json<Batch>(payload);
  if (!batch)
    return std::nullopt; // not readable, so not shown
  auto& list = (*batch).*entries;
  list.erase(std::remove_if(list.begin(), list.end(),
                            [&](auto& e) { return e.user != user; }),
             list.end());
  if (list.empty())
    return std::nullopt;
  return ev::to_json(*batch);
}

} // namespace

std::optional<json> visible_payload(const std::string& type, json payload,
                                    const http::principal& who) {
  remove_secrets(payload);
  if (who.level == http::role::admin)
    return payload;
  static const std::set<std::string> admin_only{
    ev::user_created::type_name, ev::token_issued::type_name, ev::token_revoked::type_name,
    ev::schedule_defined::type_name, ev::schedule_removed::type_name};
  if (admin_only.count(type))
    return std::nullopt;
  if (type == ev::entity_viewed::type_name)
    return own_entries(payload, &ev::entity_viewed::views, who.user);
  if (type == ev::search_performed::type_name)
    return own_entries(payload, &ev::search_performed::searches, who.user);
  // What a user ran in Compose is shown to that user only.
  if (type == ev::compose_executed::type_name) {
    auto e = ev::from_json<ev::compose_executed>(payload);
    if (!e || e->user != who.user)
      return std::nullopt;
  }
  if (type == ev::query_observed::type_name) {
    auto q = ev::from_json<ev::query_observed>(payload);
    if (!q || (q->origin == "compose" && q->user != who.user))
      return std::nullopt;
  }
  if (type == ev::job_submitted::type_name && payload.contains("options"))
    payload.erase("options"); // may hold a scheduled Compose query
  return payload;
}

} // namespace almanac::eventlog
