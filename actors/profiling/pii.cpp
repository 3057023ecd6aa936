#include "actors/profiling/pii.hpp"

#include <algorithm>
#include <cctype>
#include <set>
#include <vector>

namespace almanac::profiling {

namespace {

bool is_digit(char c) noexcept {
  return c >= '0' && c <= '9';
}

bool is_alnum(char c) noexcept {
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}

/// "customerEmail_2" -> {"customer", "email", "2"}: split at anything but
/// letters and digits, and where a lower-case letter meets an upper-case one.
std::vector<std::string> tokens_of(const std::string& name) {
  std::vector<std::string> out;
  std::string cur;
  char prev = 0;
  for (char c : name) {
    if (!is_alnum(c)) {
      if (!cur.empty())
        out.push_back(cur);
      cur.clear();
    } else {
      if (!cur.empty() && std::isupper(static_cast<unsigned char>(c))
          && std::islower(static_cast<unsigned char>(prev))) {
        out.push_back(cur);
        cur.clear();
      }
      cur += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    prev = c;
  }
  if (!cur.empty())
    out.push_back(cur);
  return out;
}

bool has(const std::vector<std::string>& tokens, std::initializer_list<const char*> words) {
  for (const auto& t : tokens)
    for (auto w : words)
      if (t == w)
        return true;
  return false;
}

bool contains(const std::string& text, std::initializer_list<const char*> parts) {
  for (auto p : parts)
    if (text.find(p) != std::string::npos)
      return true;
  return false;
}

/// Tables whose rows are people (for a column called just "name").
bool table_of_people(const std::string& table) {
  static const std::set<std::string> people = {
    "customer", "customers", "person",  "persons",  "people",   "user",    "users",
    "employee", "employees", "staff",   "member",   "members",  "contact", "contacts",
    "author",   "authors",   "actor",   "actors",   "patient",  "patients", "student",
    "students", "client",    "clients", "account",  "accounts", "owner",   "owners",
    "driver",   "drivers",   "guest",   "guests",   "teacher",  "teachers"};
  for (const auto& t : tokens_of(table))
    if (people.count(t))
      return true;
  return false;
}

} // namespace

bool looks_like_email(std::string_view text) noexcept {
  if (text.size() < 6 || text.size() > 254)
    return false;
  auto at = text.find('@');
  if (at == 0 || at == std::string_view::npos || text.find('@', at + 1) != std::string_view::npos)
    return false;
  static constexpr std::string_view local_extra = ".!#$%&'*+/=?^_`{|}~-";
  for (size_t i = 0; i < at; ++i)
    if (!is_alnum(text[i]) && local_extra.find(text[i]) == std::string_view::npos)
      return false;
  auto domain = text.substr(at + 1);
  auto dot = domain.rfind('.');
  if (dot == std::string_view::npos || dot == 0 || domain.size() - dot - 1 < 2)
    return false;
  char last = '.';
  for (char c : domain) {
    if (c == '.') {
      if (last == '.' || last == '-')
        return false;
    } else if (!is_alnum(c) && c != '-') {
      return false;
    }
    last = c;
  }
  for (size_t i = dot + 1; i < domain.size(); ++i)
    if (!std::isalpha(static_cast<unsigned char>(domain[i])))
      return false;
  return true;
}

bool looks_like_phone(std::string_view text) noexcept {
  while (!text.empty() && text.front() == ' ')
    text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ')
    text.remove_suffix(1);
  if (!text.empty() && text.front() == '+')
    text.remove_prefix(1);
  if (text.empty() || !(is_digit(text.front()) || text.front() == '('))
    return false;
  size_t digits = 0;
  std::vector<size_t> groups; // lengths of the digit runs
  std::string seps;           // the separator before each later run
  size_t run = 0;
  char sep = 0;
  for (char c : text) {
    if (is_digit(c)) {
      if (run == 0 && !groups.empty())
        seps += sep;
      ++run;
      ++digits;
      continue;
    }
    if (c != ' ' && c != '-' && c != '.' && c != '(' && c != ')')
      return false;
    if (run > 0) {
      groups.push_back(run);
      run = 0;
      sep = c;
    }
  }
  if (run > 0)
    groups.push_back(run);
  if (digits < 7 || digits > 15)
    return false;
  // Not a date (2024-01-31, 31.01.2024, 1/31/2024), an IPv4 address or a
  // decimal number.
  bool same_seps = !seps.empty()
                   && std::all_of(seps.begin(), seps.end(), [&](char s) { return s == seps[0]; });
  if (groups.size() == 3 && same_seps && seps[0] != ' ' && seps[0] != '('
      && ((groups[0] == 4 && groups[1] <= 2 && groups[2] <= 2)
          || (groups[0] <= 2 && groups[1] <= 2 && groups[2] == 4)))
    return false;
  if (groups.size() == 4 && same_seps && seps[0] == '.'
      && std::all_of(groups.begin(), groups.end(), [](size_t g) { return g <= 3; }))
    return false;
  if (groups.size() == 2 && seps == ".")
    return false;
  return true;
}

std::optional<std::string> pii_kind_by_name(const std::string& table,
                                            const std::string& column) {
  auto t = tokens_of(column);
  if (t.empty())
    return std::nullopt;
  std::string compact;
  for (const auto& x : t)
    compact += x;
  // Identifiers of people come first: tax_id is personal, address_id is not.
  if (has(t, {"ssn", "passport", "nin"})
      || contains(compact, {"socialsecurity", "nationalid", "nationalidentifier", "taxid",
                            "taxpayerid", "passportn", "driverlicense", "driverslicense"}))
    return "national_id";
  // Counts, flags and keys of other rows named after personal data.
  static const std::set<std::string> not_data = {
    "id", "ids", "key", "keys", "count", "type", "status", "verified", "confirmed",
    "enabled", "flag", "format", "length", "hash"};
  if (not_data.count(t.back()) && !contains(compact, {"password", "passwd"}))
    return std::nullopt;
  if (has(t, {"email", "mail", "emails"}) || contains(compact, {"email"}))
    return "email";
  if (has(t, {"phone", "telephone", "tel", "mobile", "fax", "msisdn", "phones"})
      || contains(compact, {"phone"}))
    return "phone";
  if (contains(compact, {"firstname", "lastname", "givenname", "familyname", "surname",
                         "middlename", "fullname", "maidenname", "forename", "personname",
                         "contactname", "displayname"}))
    return "name";
  if (compact == "name" && table_of_people(table))
    return "name";
  if (contains(compact, {"username", "loginname"}))
    return "username";
  if (has(t, {"ip"}) || compact == "ipaddress" || compact == "ipaddr")
    return "ip_address";
  if (has(t, {"address", "street", "zip", "zipcode", "postcode", "address1", "address2",
              "address3"})
      || contains(compact, {"postalcode", "streetaddress", "addressline"}))
    return "address";
  if (has(t, {"dob"}) || contains(compact, {"birth"}))
    return "birth_date";
  if (has(t, {"pwd"}) || contains(compact, {"password", "passwd"}))
    return "credential";
  return std::nullopt;
}

std::optional<pii_match> classify_pii(const std::string& table, const std::string& column,
                                      const std::string& value_kind,
                                      const content_counts& content) {
  if (value_kind != "boolean")
    if (auto kind = pii_kind_by_name(table, column))
      return pii_match{*kind, "name"};
  if (content.strings > 0) {
    if (content.emails * 2 > content.strings)
      return pii_match{"email", "content"};
    if (content.phones * 2 > content.strings)
      return pii_match{"phone", "content"};
  }
  return std::nullopt;
}

void redact_raw_values(nlohmann::json& profile) {
  profile["top_values"] = nlohmann::json::array();
  for (auto key : {"min", "max", "mean", "stddev", "stddev_pop"})
    profile[key] = nullptr;
  auto h = profile.find("histogram");
  if (h != profile.end() && h->is_object() && h->value("of", "") != "length")
    *h = nullptr;
}

} // namespace almanac::profiling
