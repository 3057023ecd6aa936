#include "actors/catalog/domain/curation.hpp"

#include "actors/catalog/domain/commands.hpp"
#include "actors/catalog/domain/fields.hpp"
#include "messages/urn.hpp"
#include "messages/error.hpp"

namespace almanac::catalog {

namespace {

using json = nlohmann::json;

/// Checks that every element of `terms` is the URN of an existing term.
caf::error check_terms(const std::vector<std::string>& terms,
                       const state_view& state) {
  for (size_t i = 0; i < terms.size(); ++i) {
    auto field = "terms[" + std::to_string(i) + "]";
    auto parsed = parse_urn(terms[i]);
    if (!parsed)
      return make_error(ec::invalid_argument,
                        "field '" + field + "': " + message_of(parsed.error()));
    if (parsed->kind != entity_kind::term)
      return make_error(ec::invalid_argument,
                        "field '" + field + "': " + terms[i]
                          + " is not a glossary term URN (urn:almanac:term:...)");
    auto term = state.entity(terms[i]);
    if (!term)
      return term.error();
    if (!*term)
      return make_error(ec::invalid_argument, "field '" + field + "': no term "
                                                + terms[i] + " (define it first)");
  }
  return caf::none;
}

/// Checks that every element of `stewards` names an existing user.
caf::error check_stewards(const std::vector<std::string>& stewards,
                          const state_view& state) {
  auto field = [](size_t i) { return "stewards[" + std::to_string(i) + "]"; };
  for (size_t i = 0; i < stewards.size(); ++i)
    if (auto err = check_user_name(field(i), stewards[i]))
      return err;
  for (size_t i = 0; i < stewards.size(); ++i) {
    auto user = state.user(stewards[i]);
    if (!user)
      return user.error();
    if (!*user)
      return make_error(ec::invalid_argument, "field '" + field(i) + "': no user '"
                                                + stewards[i]
                                                + "' (create it with POST /api/v1/users)");
  }
  return caf::none;
}

} // namespace

caf::expected<json> read_curated(const json& body, const state_view& state) {
  json out = json::object();
  auto text = [&](const char* field, text_rule rule, size_t max) -> caf::error {
    auto value = read_string(body, field, false, rule, max);
    if (!value)
      return value.error();
    if (*value)
      out[field] = **value;
    return caf::none;
  };
  if (auto err = text("title", text_rule::line, limits::title_bytes))
    return err;
  if (auto err = text("description", text_rule::multi_line,
                      limits::description_bytes))
    return err;
  const std::pair<const char*, size_t> lists[] = {
    {"tags", limits::tag_bytes},
    {"stewards", limits::urn_bytes},
    {"terms", limits::urn_bytes},
  };
  for (auto [field, max_bytes] : lists) {
    auto list = read_strings(body, field, limits::list_items, max_bytes);
    if (!list)
      return list.error();
    if (*list)
      out[field] = **list;
  }
  if (out.contains("stewards"))
    if (auto err = check_stewards(out["stewards"].get<std::vector<std::string>>(), state))
      return err;
  if (out.contains("terms"))
    if (auto err = check_terms(out["terms"].get<std::vector<std::string>>(), state))
      return err;
  for (const char* field : {"deprecated", "endorsed"}) {
    auto flag = read_bool(body, field);
    if (!flag)
      return flag.error();
    if (*flag)
      out[field] = **flag;
  }
  return out;
}

} // namespace almanac::catalog
