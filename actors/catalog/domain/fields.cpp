#include "actors/catalog/domain/fields.hpp"

#include "messages/text_checks.hpp"
#include "messages/error.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

namespace almanac::catalog {

namespace {

using json = nlohmann::json;

caf::error wrong_type(const std::string& field, const char* expected,
                      const json& got) {
  return make_error(ec::bad_request, "field '" + field + "' must be "
                                       + expected + ", not "
                                       + got.type_name());
}

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
         || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '@'
         || c == '-';
}

} // namespace

caf::error require_object(const json& body) {
  if (!body.is_object())
    return make_error(ec::bad_request, std::string{"body must be a JSON object, not "}
                                         + body.type_name());
  return caf::none;
}

caf::error reject_unknown(const json& body,
                          const std::vector<std::string>& allowed) {
  for (auto& [key, value] : body.items())
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
      return make_error(ec::bad_request,
                        "unknown field '" + printable(key) + "'");
  return caf::none;
}

caf::error check_text(const std::string& field, const std::string& value,
                      text_rule rule, size_t max_bytes) {
  if (auto at = invalid_utf8_at(value))
    return make_error(ec::invalid_argument,
                      "field '" + field + "' is not valid UTF-8 (byte "
                        + std::to_string(*at) + ")");
  if (auto at = control_char_at(value, rule == text_rule::multi_line))
    return make_error(ec::invalid_argument,
                      "field '" + field + "' contains a control character at byte "
                        + std::to_string(*at));
  if (value.size() > max_bytes)
    return make_error(ec::invalid_argument,
                      "field '" + field + "' is longer than "
                        + std::to_string(max_bytes) + " bytes");
  return caf::none;
}

caf::expected<std::optional<std::string>>
read_string(const json& body, const std::string& field, bool required,
            text_rule rule, size_t max_bytes) {
  auto i = body.find(field);
  if (i == body.end()) {
    if (required)
      return make_error(ec::bad_request, "missing required field '" + field + "'");
    return std::optional<std::string>{};
  }
  if (!i->is_string())
    return wrong_type(field, "a string", *i);
  auto value = i->get<std::string>();
  if (auto err = check_text(field, value, rule, max_bytes))
    return err;
  return std::optional<std::string>{std::move(value)};
}

caf::expected<std::optional<bool>> read_bool(const json& body,
                                             const std::string& field) {
  auto i = body.find(field);
  if (i == body.end())
    return std::optional<bool>{};
  if (!i->is_boolean())
    return wrong_type(field, "a boolean", *i);
  return std::optional<bool>{i->get<bool>()};
}

caf::expected<std::optional<std::vector<std::string>>>
read_strings(const json& body, const std::string& field, size_t max_items,
             size_t max_bytes) {
  using result = std::optional<std::vector<std::string>>;
  auto i = body.find(field);
  if (i == body.end())
    return result{};
  if (!i->is_array())
    return wrong_type(field, "an array of strings", *i);
  if (i->size() > max_items)
    return make_error(ec::invalid_argument,
                      "field '" + field + "' has more than "
                        + std::to_string(max_items) + " elements");
  std::vector<std::string> out;
  for (size_t k = 0; k < i->size(); ++k) {
    auto name = field + "[" + std::to_string(k) + "]";
    auto& element = (*i)[k];
    if (!element.is_string())
      return wrong_type(name, "a string", element);
    auto value = element.get<std::string>();
    if (value.empty())
      return make_error(ec::invalid_argument, "field '" + name + "' is empty");
    if (auto err = check_text(name, value, text_rule::line, max_bytes))
      return err;
    if (std::find(out.begin(), out.end(), value) == out.end())
      out.push_back(std::move(value));
  }
  return result{std::move(out)};
}

caf::error check_free_form(const std::string& field, const json& value) {
  auto check = [&](const std::string& s) -> caf::error {
    if (auto at = invalid_utf8_at(s))
      return make_error(ec::invalid_argument,
                        "field '" + field + "' holds a string that is not valid UTF-8");
    for (unsigned char c : s)
      if ((c < 0x20 && c != '\n' && c != '\t' && c != '\r') || c == 0x7F)
        return make_error(ec::invalid_argument,
                          "field '" + field + "' holds a control character");
    return caf::none;
  };
  if (value.is_string())
    return check(value.get_ref<const std::string&>());
  if (value.is_object()) {
    for (auto& [key, element] : value.items()) {
      if (auto err = check(key))
        return err;
      if (auto err = check_free_form(field + "." + printable(key), element))
        return err;
    }
  } else if (value.is_array()) {
    for (auto& element : value)
      if (auto err = check_free_form(field, element))
        return err;
  }
  return caf::none;
}

caf::error check_user_name(const std::string& field, const std::string& name) {
  auto bad = [&](const std::string& why) {
    return make_error(ec::invalid_argument, "field '" + field + "': invalid user name '"
                                              + printable(name) + "': " + why);
  };
  if (name.empty() || name.size() > 64)
    return bad("must have 1 to 64 characters");
  if (!std::all_of(name.begin(), name.end(), is_name_char))
    return bad("allowed characters are letters, digits, '.', '_', '@' and '-'");
  if (!std::isalnum(static_cast<unsigned char>(name.front())))
    return bad("must start with a letter or digit");
  return caf::none;
}

} // namespace almanac::catalog
