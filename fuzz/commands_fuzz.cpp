// Fuzzes the catalog command validators (actors/catalog/domain/commands.hpp) with
// arbitrary JSON text, as POST/PATCH/DELETE /api/v1/entities (and the
// sources API's *_source commands) receive it:
// parse_json_guarded first (what the router does), then the validator
// against an in-memory catalog. The events of an accepted command are
// applied (entity.hpp's registered_entity/apply_edit, as the projection
// does), so one input can run a sequence of commands.
//
// Input: commands separated by NUL bytes; each is one op byte then JSON
// text. Op bits 0-1: register (bit 3: register_source), edit, remove (bit
// 3: cascade; bit 3 without bit 2: remove_source), replace_attributes (bit
// 3: replace_source_attributes); bit 2: If-Match (version 1); bits 4-7:
// which URN an edit, remove or replace names (one of the catalog's, in
// order, or a few that do not exist).
// Checks: no exception escapes; an error has a 4xx code (403 when the
// entity API would touch a source or a connection); an accepted
// command's events are JSON objects that parse_json_guarded accepts, and
// applying them gives the version the reply states.

#include "fuzz/fuzz_check.hpp"
#include "actors/catalog/domain/commands.hpp"
#include "actors/catalog/domain/entity.hpp"
#include "messages/error.hpp"
#include "messages/json_guard.hpp"

#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <vector>

using namespace almanac;
using namespace almanac::catalog;
using json = nlohmann::json;

namespace {

/// A catalog in a map: what the projection answers, without RocksDB.
class memory_state : public state_view {
public:
  caf::expected<std::optional<json>> entity(const std::string& urn) const override {
    auto i = entities.find(urn);
    if (i == entities.end())
      return std::optional<json>{};
    return std::optional<json>{i->second};
  }

  caf::expected<std::vector<std::string>> children(const std::string& urn) const override {
    std::vector<std::string> out;
    for (auto& [u, e] : entities)
      if (e.value("parent", json(nullptr)) == json(urn))
        out.push_back(u);
    return out;
  }

  caf::expected<std::optional<json>> user(const std::string& name) const override {
    if (name != "alice" && name != "bob")
      return std::optional<json>{};
    return std::optional<json>{json{{"name", name}, {"role", "steward"}}};
  }

  caf::expected<std::optional<json>> token(const std::string&) const override {
    return std::optional<json>{};
  }

  /// Applies the events of an accepted command.
  void apply(const std::vector<event_input>& events) {
    for (auto& e : events) {
      auto parsed = parse_json_guarded(e.payload, "an event payload");
      FUZZ_CHECK(static_cast<bool>(parsed) && parsed->is_object());
      auto& p = *parsed;
      change_info info{++offset, 1714566896000 + static_cast<int64_t>(offset),
                       p.value("user", std::string{})};
      auto name = parse_event_tag(e.type).first;
      if (name == "EntityRegistered") {
        FUZZ_CHECK(!entities.count(e.key));
        auto r = ev::from_json<ev::entity_registered>(p);
        FUZZ_CHECK(static_cast<bool>(r)); // what a command writes follows its schema
        entities[e.key] = registered_entity(*r, info);
      } else if (name == "EntityEdited") {
        FUZZ_CHECK(entities.count(e.key) == 1);
        auto edit = ev::from_json<ev::entity_edited>(p);
        FUZZ_CHECK(static_cast<bool>(edit));
        apply_edit(entities[e.key], *edit, info);
      } else if (name == "EntityRemoved") {
        FUZZ_CHECK(entities.erase(e.key) == 1);
      } else {
        FUZZ_CHECK(false);
      }
    }
  }

  std::map<std::string, json> entities;
  uint64_t offset = 0;
};

memory_state seeded() {
  memory_state s;
  auto source = register_source(json::parse(R"({"urn":"urn:almanac:source:s","kind":"source",
    "attributes":{"connection":{"driver":"sqlite","path":"/tmp/s.db"}}})"), "seed", s);
  FUZZ_CHECK(static_cast<bool>(source));
  s.apply(source->events);
  for (auto body : {R"({"urn":"urn:almanac:schema:s.p","kind":"schema"})",
                    R"({"urn":"urn:almanac:table:s.p.t","kind":"table","tags":["pii"]})",
                    R"({"urn":"urn:almanac:column:s.p.t.c","kind":"column"})",
                    R"({"urn":"urn:almanac:term:Film","kind":"term"})"}) {
    auto r = register_entity(json::parse(body), "seed", s);
    FUZZ_CHECK(static_cast<bool>(r));
    s.apply(r->events);
  }
  return s;
}

std::string pick_urn(const memory_state& s, unsigned n) {
  static const char* missing[] = {"urn:almanac:table:s.p.nope", "urn:almanac:bogus", "",
                                  "urn:almanac:column:s.p.t.c.d"};
  if (n < s.entities.size())
    return std::next(s.entities.begin(), n)->first;
  return missing[(n - s.entities.size()) % 4];
}

// A command's outcome with its reply as the HTTP API renders it (the
// commands' replies differ in type).
struct outcome {
  std::vector<event_input> events;
  json reply;
};

template <class R>
caf::expected<outcome> erase(caf::expected<command_result<R>> r) {
  if (!r)
    return r.error();
  return outcome{std::move(r->events), json(r->reply)};
}

void check_error(const caf::error& err) {
  auto code = code_of(err);
  FUZZ_CHECK(code == ec::bad_request || code == ec::invalid_argument || code == ec::not_found
             || code == ec::conflict || code == ec::forbidden);
  FUZZ_CHECK(!message_of(err).empty());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const memory_state initial = seeded();
  memory_state state = initial;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  for (int n = 0; n < 8 && !input.empty(); ++n) {
    auto nul = input.find('\0');
    auto cmd = input.substr(0, nul);
    input = nul == std::string_view::npos ? std::string_view{} : input.substr(nul + 1);
    if (cmd.empty())
      continue;
    auto op = static_cast<uint8_t>(cmd[0]);
    auto text = cmd.substr(1);
    std::optional<uint64_t> if_match;
    if (op & 4)
      if_match = 1;
    bool cascade = (op & 8) != 0;
    auto urn = pick_urn(state, op >> 4);
    caf::expected<outcome> result = make_error(ec::bad_request, "none");
    if ((op & 3) == 2) {
      result = erase(cascade && !if_match ? remove_source(urn, "alice", state)
                                          : remove_entity(urn, if_match, cascade, "alice", state));
    } else {
      auto body = parse_json_guarded(text, "the request body");
      if (!body) {
        check_error(body.error());
        continue;
      }
      switch (op & 3) {
        case 0:
          result = erase(cascade ? register_source(*body, "bob", state)
                                 : register_entity(*body, "bob", state));
          break;
        case 1:
          result = erase(edit_entity(urn, *body, if_match, "alice", state));
          break;
        default:
          result = erase(cascade ? replace_source_attributes(urn, *body, "alice", state)
                                 : replace_attributes(urn, *body, "alice", state));
      }
    }
    if (!result) {
      check_error(result.error());
      continue;
    }
    auto reply = result->reply.dump();
    FUZZ_CHECK(!reply.empty());
    auto reply_urn = result->reply.value("urn", std::string{});
    state.apply(result->events);
    if (auto version = result->reply.find("version"); version != result->reply.end()) {
      auto e = state.entities.find(reply_urn);
      FUZZ_CHECK(e != state.entities.end());
      FUZZ_CHECK(e->second.value("version", json(nullptr)) == *version);
    }
  }
  return 0;
}
