#pragma once

// Columns that look like personal data, and profiles without their raw
// values. A column is personal data by its name (email, phone, first_name,
// address, ssn, birth_date, password, ...; a bare "name" in a table of
// people) or by its content (most of its sampled strings are e-mail
// addresses or phone numbers). Such a column's profile keeps its counts,
// null fraction, distinct estimate and text lengths, but no top values,
// min/max, mean or value histogram, unless an admin allowed raw values for
// the column (its attribute profile_raw_values).

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace almanac::profiling {

/// Why a column counts as personal data.
struct pii_match {
  std::string kind;   ///< email, phone, name, username, address, ip_address,
                      ///< national_id, birth_date, credential
  std::string reason; ///< "name" or "content"
};

/// Whether `text` looks like an e-mail address (local@domain.tld).
bool looks_like_email(std::string_view text) noexcept;

/// Whether `text` looks like a phone number: 7 to 15 digits with at most
/// one leading '+' and the separators space - . ( ), and not a date.
bool looks_like_phone(std::string_view text) noexcept;

/// The kind of personal data column `column` of table `table` holds by its
/// name, nullopt if its name says nothing. Identifiers of other rows
/// (address_id, email_count) are not personal data.
std::optional<std::string> pii_kind_by_name(const std::string& table,
                                            const std::string& column);

/// Pattern counts over a column's non-null string values.
struct content_counts {
  uint64_t strings = 0; ///< Non-null string values seen.
  uint64_t emails = 0;  ///< Of which look like e-mail addresses.
  uint64_t phones = 0;  ///< Of which look like phone numbers.
};

/// Classifies a column by name, then by content (more than half of its
/// strings are e-mail addresses, or phone numbers). A boolean column is
/// never personal data by its name.
std::optional<pii_match> classify_pii(const std::string& table, const std::string& column,
                                      const std::string& value_kind,
                                      const content_counts& content);

/// Removes raw values from a column profile (column_stats::profile()):
/// top_values becomes [], min, max, mean, stddev and stddev_pop null, a
/// histogram of values null (its bounds are values; a histogram of text
/// lengths stays).
void redact_raw_values(nlohmann::json& profile);

} // namespace almanac::profiling
