#pragma once

// Reading fields of a JSON request body with errors that name the field.
//
// Error codes: a body that is not an object, an unknown field, a missing
// required field or a value of the wrong JSON type is ec::bad_request (400);
// a value of the right type that breaks a rule (control characters, invalid
// UTF-8, too long, bad identifier) is ec::invalid_argument (422).

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include <nlohmann/json_fwd.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace almanac::catalog {

/// What a string field may hold.
enum class text_rule {
  line,       ///< One line: no control characters at all.
  multi_line, ///< Markdown and the like: '\n' and '\t' allowed.
};

/// Fails with bad_request unless `body` is a JSON object.
caf::error require_object(const nlohmann::json& body);

/// Fails with bad_request naming the first field of `body` not in `allowed`.
caf::error reject_unknown(const nlohmann::json& body,
                          const std::vector<std::string>& allowed);

/// Checks a string value: valid UTF-8, no control characters under `rule`,
/// at most `max_bytes`. `field` names it in the error.
caf::error check_text(const std::string& field, const std::string& value,
                      text_rule rule, size_t max_bytes);

/// Reads an optional string field (nullopt if absent); `required` turns
/// absence into bad_request.
caf::expected<std::optional<std::string>>
read_string(const nlohmann::json& body, const std::string& field,
            bool required, text_rule rule, size_t max_bytes);

/// Reads an optional boolean field.
caf::expected<std::optional<bool>> read_bool(const nlohmann::json& body,
                                             const std::string& field);

/// Reads an optional array of non-empty one-line strings (each at most
/// `max_bytes`, at most `max_items`); duplicates are dropped, first
/// occurrence kept. Elements are named "field[i]" in errors.
caf::expected<std::optional<std::vector<std::string>>>
read_strings(const nlohmann::json& body, const std::string& field,
             size_t max_items, size_t max_bytes);

/// Checks every string inside `value` (keys and values, recursively) for
/// valid UTF-8 and control characters other than '\n', '\t' and '\r'.
caf::error check_free_form(const std::string& field,
                           const nlohmann::json& value);

/// Checks a user name: 1 to 64 characters from [A-Za-z0-9._@-], starting
/// with a letter or digit. `field` names it in the error.
caf::error check_user_name(const std::string& field, const std::string& name);

} // namespace almanac::catalog
